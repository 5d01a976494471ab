/* Facet counting under a mask, one pass over the rows (archive.index.postings._Rows).
 *
 * A facet's rows are value ids grouped by rank (document or passage): rank r's rows are
 * ids[starts[r]:starts[r + 1]] (the last ends at the last row). count_runs counts the ids in
 * the runs of the ranks set in a mask, or, when most ranks are set, the ids in the others'
 * runs taken from the totals: what NumPy does in three passes over temporary arrays (the
 * runs' positions or the mask repeated per row, the ids taken, bincount), done here in one
 * without the GIL (the viewer's other threads go on meanwhile). An optional extension: without it (no C compiler at install) postings.py
 * counts with NumPy alone, to the same counts.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static int
get(PyObject *object, Py_buffer *view, int writable, const char *name)
{
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT
                           | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->ndim != 1) {
        PyErr_Format(PyExc_ValueError, "%s: not one-dimensional", name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The format's one type character, of the machine's own byte order ("H", "=q"). */
static char
kind(const Py_buffer *view)
{
    const char *format = view->format ? view->format : "B";
    if (*format == '=' || *format == '@')
        format++;
    return format[0] && !format[1] ? format[0] : '\0';
}

static int
is_int64(const Py_buffer *view)
{
    char type = kind(view);
    return view->itemsize == 8 && (type == 'q' || type == 'l');
}

#define ONES UINT64_C(0x0101010101010101)

/* The mask's 8 bytes from rank on (0 past its end). */
static inline uint64_t
word_at(const uint8_t *mask, Py_ssize_t rank, Py_ssize_t ranks)
{
    uint64_t word = 0;
    memcpy(&word, mask + rank, rank + 8 <= ranks ? 8 : (size_t)(ranks - rank));
    return word;
}

/* The ranks set in the mask (unset: invert), in order, into chosen: first found whole words
 * of 8 ranks skipped, then each rank written and the count moved on by its bit, without a
 * branch (a mask of passages has millions of ranks, few of them set, at random). */
static Py_ssize_t
choose(const uint8_t *mask, Py_ssize_t ranks, int invert, Py_ssize_t *chosen)
{
    Py_ssize_t found = 0;
    const uint64_t skipped = invert ? ONES : 0;
    for (Py_ssize_t rank = 0; rank < ranks; rank += 8) {
        if (rank + 8 <= ranks && word_at(mask, rank, ranks) == skipped)
            continue;
        Py_ssize_t end = rank + 8 <= ranks ? rank + 8 : ranks;
        for (Py_ssize_t at = rank; at < end; at++) {
            chosen[found] = at;
            found += (mask[at] != 0) != invert;
        }
    }
    return found;
}

/* The runs' starts of the ranks AHEAD of the one counted are asked of memory beforehand: the
 * ranks of a passage mask lie far apart in an array of millions. */
#define AHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)(address))
#endif

#define COUNT_LOOP(TYPE)                                                             \
    do {                                                                             \
        const TYPE *values = (const TYPE *)ids.buf;                                  \
        for (Py_ssize_t k = 0; k < found && !bad; k++) {                             \
            Py_ssize_t rank = chosen[k];                                             \
            if (k + AHEAD < found)                                                   \
                PREFETCH(starts + chosen[k + AHEAD]);                                \
            int64_t end = rank + 1 < ranks ? starts[rank + 1] : rows;                \
            if (starts[rank] < 0 || starts[rank] > end || end > rows) {              \
                bad = 2;                                                             \
                break;                                                               \
            }                                                                        \
            for (int64_t row = starts[rank]; row < end; row++) {                     \
                int64_t value = (int64_t)values[row];                                \
                if (value < 0 || value >= size) {                                    \
                    bad = 1;                                                         \
                    break;                                                           \
                }                                                                    \
                counts[value]++;                                                     \
            }                                                                        \
        }                                                                            \
    } while (0)

static PyObject *
count_runs(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *ids_object, *starts_object, *mask_object, *total_object, *out_object;
    Py_buffer ids, starts_view, mask_view, total_view, out_view;
    if (!PyArg_ParseTuple(args, "OOOOO:count_runs", &ids_object, &starts_object,
                          &mask_object, &total_object, &out_object))
        return NULL;
    if (get(ids_object, &ids, 0, "ids") < 0)
        return NULL;
    if (get(starts_object, &starts_view, 0, "starts") < 0)
        goto release_ids;
    if (get(mask_object, &mask_view, 0, "mask") < 0)
        goto release_starts;
    if (get(total_object, &total_view, 0, "total") < 0)
        goto release_mask;
    if (get(out_object, &out_view, 1, "counts") < 0)
        goto release_total;

    char id_type = kind(&ids);
    int wide = ids.itemsize == 4 && id_type == 'i';
    if (!(wide || (ids.itemsize == 2 && id_type == 'H')) || !is_int64(&starts_view)
        || kind(&mask_view) != '?' || !is_int64(&total_view) || !is_int64(&out_view)) {
        PyErr_SetString(PyExc_TypeError, "count_runs: ids uint16 or int32, starts, total and"
                        " counts int64, mask bool");
        goto fail;
    }
    const Py_ssize_t ranks = starts_view.len / 8, rows = ids.len / ids.itemsize;
    const int64_t size = out_view.len / 8;
    if (mask_view.len != ranks || total_view.len / 8 != size) {
        PyErr_SetString(PyExc_ValueError, "count_runs: a mask per rank, a total per value");
        goto fail;
    }
    const int64_t *starts = (const int64_t *)starts_view.buf;
    const uint8_t *mask = (const uint8_t *)mask_view.buf;
    const int64_t *total = (const int64_t *)total_view.buf;
    int64_t *counts = (int64_t *)out_view.buf;
    /* the smaller side: the ranks set, or those not set (the counts taken from the totals) */
    Py_ssize_t set = 0;
    for (Py_ssize_t rank = 0; rank < ranks; rank += 8)
        set += (Py_ssize_t)((word_at(mask, rank, ranks) * ONES) >> 56);
    const int invert = 2 * set > ranks;
    /* (room for every rank: pages of it never written are never touched) */
    Py_ssize_t *chosen = PyMem_RawMalloc(sizeof(Py_ssize_t) * ((size_t)ranks + 1));
    if (chosen == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t found = choose(mask, ranks, invert, chosen);
    memset(counts, 0, (size_t)size * sizeof(int64_t));
    if (wide)
        COUNT_LOOP(int32_t);
    else
        COUNT_LOOP(uint16_t);
    if (invert && !bad)
        for (int64_t value = 0; value < size; value++)
            counts[value] = total[value] - counts[value];
    Py_END_ALLOW_THREADS
    PyMem_RawFree(chosen);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, bad == 1 ? "count_runs: a value id past the counts"
                        : "count_runs: starts out of order");
        goto fail;
    }
    PyBuffer_Release(&out_view);
    PyBuffer_Release(&total_view);
    PyBuffer_Release(&mask_view);
    PyBuffer_Release(&starts_view);
    PyBuffer_Release(&ids);
    Py_RETURN_NONE;

fail:
    PyBuffer_Release(&out_view);
release_total:
    PyBuffer_Release(&total_view);
release_mask:
    PyBuffer_Release(&mask_view);
release_starts:
    PyBuffer_Release(&starts_view);
release_ids:
    PyBuffer_Release(&ids);
    return NULL;
}

static PyMethodDef methods[] = {
    {"count_runs", count_runs, METH_VARARGS,
     "count_runs(ids, starts, mask, total, counts): counts[v] = the rows holding value id v\n"
     "in the runs of the ranks set in mask (rank r's rows: ids[starts[r]:starts[r + 1]])."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_counting", "Facet counting under a mask (archive.index.postings).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__counting(void)
{
    return PyModule_Create(&module);
}
