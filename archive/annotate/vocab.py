"""The period's vocabulary for the name finder: general word lists of the language and of the
period (the Russian revolution, the Soviet Union, the international left), not of any one text.
"""

from __future__ import annotations

import re

NAME_CONNECTORS = frozenset({"of", "for", "the", "and", "de", "von", "van", "der", "du", "la", "le",
                             "del", "da", "y", "al", "bin", "ibn", "&"})
TITLES = frozenset({
    "Comrade", "Comrades", "General", "Secretary", "Chairman", "Chairwoman", "President",
    "Premier", "Prime", "Minister", "Commissar", "Commissars", "People's", "Dr", "Mr", "Mrs",
    "Ms", "Miss", "Professor", "Prof", "Marshal", "Lieutenant", "Colonel", "Captain", "Major",
    "Admiral", "Tsar", "Czar", "Tsarina", "Emperor", "King", "Queen", "Prince", "Princess",
    "Count", "Countess", "Baron", "Sir", "Lord", "Lady", "Saint", "St", "Father", "Bishop",
    "Patriarch", "Ambassador", "Deputy", "Vice", "Chief", "Editor", "Judge", "Prosecutor",
    "Commander", "Leader", "Dictator", "Academician", "Citizen", "Senator", "Governor",
    "Historian", "Historians", "Writer", "Journalist", "Author", "Poet", "Novelist", "Scholar",
    "Economist", "Philosopher", "Critic", "Activist", "Witness",
    # English honorifics, ranks and forms of address of any period
    "Messrs", "Mme", "Mlle", "Madame", "Monsieur", "Mister", "Rev", "Revd", "Reverend", "Hon",
    "Honourable", "Dame", "Lt", "Capt", "Col", "Gen", "Sgt", "Sergeant", "Corporal", "Doctor",
    "Duke", "Duchess", "Earl", "Marquis", "Marquess", "Viscount", "Abbé", "Aunt", "Uncle",
})
# Given names common in the period's texts (Russian, East European, Western).
GIVEN_NAMES = frozenset("""
Adolf Adolph Aleksandr Aleksei Alexander Alexandr Alexandra Alexei Alexey Anastas Anatoly
Andrei Andrey Anna Anton Antonov Arkady Boris Bukharin Christian Clara Dmitri Dmitry Efim
Elena Emelian Ephraim Evgeni Evgenii Evgeny Eugen Eugene Felix Fedor Fyodor Georgi Georgy
Georgii Gleb Grigori Grigorii Grigory Gregory Ilya Inessa Ioakim Iosif Isaac Ivan Ivar Joseph
Karl Kliment Konstantin Lavrenty Lazar Leon Leonid Lev Lydia Maksim Maksymilian Maria Mariya
Matvei Max Maxim Mikhail Mikhailo Moisei Nadezhda Natalia Natalya Nestor Nikita Nikolai
Nikolay Nikolaus Osip Pavel Peter Petr Pyotr Rosa Sergei Sergey Sergo Stepan Timofei
Valerian Varvara Vasily Vasili Vera Viktor Victor Vladimir Vyacheslav Yakov Yemelyan
Yevgeni Yevgeny Yuri Zinovy Leopold Heinrich Ernest Ernst Pierre Jean
Jacques Paul Rudolf Otto Wilhelm August Friedrich Hermann Walter Ruth Susan Sheila Robert
Tony Michael Michal David James John William George Henry Isabelle Nadia Natasha Olga
Ekaterina Yekaterina Tatiana Galina Lyubov Semyon Semen Solomon Moisey Mendel Avraam
Abram Andrés Andreu Juan Diego Trofim Panteleimon Filipp Philip Rafail Jan Janis
Ivars Martyn Martemyan Ignaty Aron Aaron Yuly Julius Fritz Willi Alfred Marcel
Yevgenia Evgenia Eugenia Zlata Larisa Larissa Polina Sofia Sophia Tatyana Irina Lidia Lidiya
Marina Nina Raisa Valentina Zinaida Anastasia Yelena Varlam Isaak Genrikh Avel Abel Mark
Charles Thomas Richard Edward Frank Harry Albert Arthur Henri Louis André Georges Carl Hans
Kurt Gustav Hugo Emil Maurice Raymond Jules Marie Hilda Dora Emma Nikolai Ivan Vladimir
Andreas Leo Lou Sidney Sydney Daniel Samuel Benjamin Ludwig Franz Karl-Heinz Jakob Joachim
Władysław Wladyslaw Józef Jozef Stanisław Stanislaw Tadeusz Feliks Adam Jerzy Kazimierz
""".split()) - {"Bukharin", "Antonov"}
# Russian surname endings: Trotsky, Zinoviev, Kamenev, Bukharin, Ordzhonikidze, Krupskaya.
SURNAME_RE = re.compile(
    r"^[A-Z][a-z]+(?:sky|skii|skiy|skaya|ovsky|evsky|ov|ova|ev|eva|yev|yeva|in|ina|yn|"
    r"idze|dze|shvili|enko|ovich|evich|yan)$"
)
PATRONYMIC_RE = re.compile(r"^[A-Z][a-z]+(?:ovich|evich|ich|ovna|evna|ichna)$")
NOT_SURNAMES = frozenset({"Kremlin", "Latin", "Within", "Begin", "Again", "Cabin", "Origin",
                          "Margin", "Basin", "Cousin", "Robin", "Chain", "Plain", "Domain",
                          "Brain", "Train", "Spain", "Britain", "Bulletin", "Berlin", "Stalwarts"})
LEADING_STOP = frozenset({
    "The", "A", "An", "In", "On", "At", "By", "For", "From", "With", "Without", "To", "Of", "And",
    "But", "Or", "As", "When", "While", "After", "Before", "Since", "Until", "During", "Under",
    "Although", "Though", "If", "This", "That", "These", "Those", "His", "Her", "Its", "Their",
    "Our", "My", "Your", "Both", "All", "Many", "Most", "Some", "Each", "Every", "No", "Not",
    "Only", "Even", "Then", "Thus", "Yet", "So", "Also", "Later", "Soon", "Here", "There",
    "Meanwhile", "However", "Instead", "Against", "Among", "Between", "Through", "Within",
    "Former", "Whole", "Entire", "Such", "Other", "Another", "Whose", "Which", "Who", "What",
    "It", "He", "She", "They", "We", "I", "You", "Once", "Now", "Again", "Like", "Unlike",
    "Why", "How", "Where", "Was", "Were", "Is", "Are", "Be", "Had", "Has", "Have", "Did", "Do",
})
MONTHS = frozenset({
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
    "Sept", "Oct", "Nov", "Dec", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday", "Spring", "Summer", "Autumn", "Winter", "Fall",
})
DEMONYMS = frozenset({
    "Russian", "Russians", "Soviet", "Soviets", "German", "Germans", "French", "English",
    "British", "American", "Americans", "Chinese", "Japanese", "Polish", "Pole", "Poles",
    "Ukrainian", "Ukrainians", "Georgian", "Georgians", "Armenian", "Armenians", "Latvian",
    "Latvians", "Lithuanian", "Estonian", "Finnish", "Finn", "Finns", "Jewish", "Jew", "Jews",
    "Italian", "Italians", "Spanish", "Austrian", "Hungarian", "Czech", "Bulgarian", "Romanian",
    "Serbian", "Turkish", "Persian", "Mexican", "European", "Europeans", "Asian", "Western",
    "Eastern", "Bolshevik", "Bolsheviks", "Menshevik", "Mensheviks", "Communist", "Communists",
    "Socialist", "Socialists", "Marxist", "Marxists", "Leninist", "Leninists", "Stalinist",
    "Stalinists", "Trotskyist", "Trotskyists", "Trotskyite", "Trotskyites", "Tsarist", "Czarist",
    "White", "Whites", "Red", "Reds", "Oppositionist", "Oppositionists", "Left", "Right",
    "Leftist", "Rightist", "Cossack", "Cossacks", "Tatar", "Tatars", "Kazakh", "Uzbek",
    "Belarusian", "Byelorussian", "Siberian", "Caucasian", "Muscovite", "Petrograder",
    "Kronstadt", "Anarchist", "Anarchists", "Narodnik", "Narodniks", "Kadet", "Kadets",
    "Social", "Democrat", "Democrats", "Revolutionary", "Revolutionaries",
})
# "Trotskyism", "Stalinist", "Trotskyite", "Leninism", "Bolshevism", "Bolshevik-Leninists"
DERIVED_RE = re.compile(
    r"(?:isms?|ists?|ites?|ism['’]s|ional)$|^(?:Anti|Pro|Neo|Post|Pre)-", re.I)
# Last words of names of events, meetings and documents; a name inside one is no mention.
EVENT_HEADS = frozenset({
    "Congress", "Congresses", "Conference", "Conferences", "Revolution", "Revolutions", "Trial",
    "Trials", "Purge", "Purges", "Plenum", "Plenums", "War", "Wars", "Uprising", "Rebellion",
    "Mutiny", "Insurrection", "Commune", "Fire", "Pact", "Treaty", "Declaration", "Platform",
    "Theses", "Programme", "Program", "Plan", "Policy", "Manifesto", "Letter", "Testament",
    "Terror", "Famine", "Coup", "Massacre", "Affair", "Strike", "Putsch", "Crisis", "Session",
    "Meeting", "Decree", "Resolution", "Campaign", "Offensive", "Battle", "Siege", "Peace",
    "Agreement", "Accords", "Day", "Days", "Era", "Period", "Age", "Years", "Constitution",
    "Expedition",
})
# Words after a name that make it part of an event's name: "Moscow trials", "Paris Commune".
EVENT_WORDS_LOWER = frozenset({
    "congress", "conference", "revolution", "trial", "trials", "purge", "purges", "plenum",
    "commune", "fire", "pact", "treaty", "uprising", "rebellion", "mutiny", "insurrection",
    "massacre", "affair", "putsch", "coup", "show", "declaration", "platform", "theses",
    "constitution", "war", "offensive", "campaign", "plenary",
})
WORK_HEADS = frozenset({"Memoirs", "History", "Diary", "Diaries", "Works"})
PERIODICAL_HEADS = frozenset({
    "Bulletin", "Journal", "Review", "Gazette", "Times", "Herald", "Messenger", "Magazine",
    "Weekly", "Daily", "News", "Tribune", "Courier", "Monthly", "Quarterly", "Post", "Worker",
    "Militant", "Appeal", "Notebooks", "Izvestia", "Izvestiia", "Izvestiya",
})
PERIODICALS = frozenset({
    "Pravda", "Izvestia", "Izvestiia", "Izvestiya", "Iskra", "Vpered", "Zvezda", "Trud",
    "Bolshevik", "Kommunist", "Krasnaya Zvezda", "Novy Mir", "Byulleten Oppozitsii",
    "Sotsialisticheskii Vestnik", "Ekonomicheskaya Zhizn", "Proletarskaya Revolyutsiya",
    "Krasnaya Nov", "Nasha Zarya", "Vestnik", "Kommunistka", "Rabotnitsa",
    "Bulletin of the Opposition", "New International", "Fourth International Bulletin",
    "Socialist Messenger", "Inprecorr", "Inprekorr", "L'Humanité", "Vorwärts", "Die Rote Fahne",
})
PERIODICAL_CUES = frozenset({"journal", "newspaper", "newspapers", "magazine", "paper", "daily",
                             "weekly", "organ", "periodical", "review", "bulletin", "book",
                             "novel", "pamphlet", "essay", "article"})
PERIODICAL_CUES_AFTER = frozenset({"editor", "editors", "editorial", "article", "articles",
                                   "correspondent", "published", "printed", "wrote", "reported"})
# Last words of names of bodies: "Left Opposition", "Central Committee", "Red Army".
ORG_HEADS = frozenset({
    "Opposition", "Party", "Parties", "Committee", "Committees", "Commission", "International",
    "Commissariat", "Council", "Bureau", "Army", "Navy", "Fleet", "League", "Group", "Press",
    "Federation", "Association", "Organisation", "Organization", "Organisations",
    "Organizations", "Front", "Bloc", "Tendency", "Faction", "Soviet", "Guard", "Guards",
    "Academy", "University", "Institute", "Society", "Tribunal", "Collegium", "Ministry",
    "Department", "Agency", "Police", "Trust", "Club", "Movement", "Unions", "Cheka",
    "Politburo", "Orgburo", "Secretariat", "Presidium", "Sovnarkom", "Publications",
    "Publishers", "Centre", "Center", "Troika", "Inspectorate", "Directorate", "Praesidium",
    "Alliance", "Brotherhood", "Corps", "Brigade", "Division", "Regiment", "Court",
})
HEADS_NEEDING_MODIFIER = frozenset(ORG_HEADS - {
    "Opposition", "Party", "Politburo", "Orgburo", "Secretariat", "Presidium", "Sovnarkom",
    "Cheka", "Troika", "Praesidium",
})
STANDALONE_HEADS = frozenset({"Opposition", "Party"})
# Names of bodies of the period that carry no head noun.
ORG_NAMES = frozenset({
    "Politburo", "Orgburo", "Comintern", "Sovnarkom", "Cheka", "Vecheka", "Agitprop",
    "Profintern", "Krestintern", "Gosplan", "Vesenkha", "Narkomindel", "Komsomol", "Kuomintang",
    "Tsentrobalt", "Rabkrin", "Proletkult", "Sovnarkhoz", "Tsentrosoyuz", "Gulag", "Smersh",
    "Okhrana", "Duma", "Stavka", "Narkomfin", "Narkompros", "Narkomzem", "Glavlit", "Krestkom",
    "Spartakusbund", "Zimmerwald Left", "Red Army", "Red Guards", "White Army", "Black Hundreds",
})
ORG_ACRONYMS = frozenset({
    "CC", "CCC", "TsK", "TsKK", "KPSS", "VKP", "RKP", "CPSU", "RCP", "RSDLP", "RSDRP", "GPU",
    "OGPU", "NKVD", "MVD", "MGB", "KGB", "VTsIK", "TsIK", "ECCI", "IKKI", "KPD", "SPD", "USPD",
    "CPGB", "CPUSA", "SWP", "POUM", "PCF", "PCI", "CCP", "CPC", "KMT", "SR", "SRs", "ILO",
    "ICL", "ICFI", "NATO", "UN", "RKKA", "VSNKh", "STO", "Cheka", "ILP", "SLP", "IWW",
    "CNT", "FAI", "PSOE", "SFIO", "CGT", "SEP",
})
PLACE_ACRONYMS = frozenset({"USSR", "US", "USA", "UK", "RSFSR", "SSR", "GDR", "FRG", "U.S.",
                            "U.S.A.", "U.K.", "U.S.S.R.", "ZSFSR", "TSFSR"})
PLACE_NAMES = frozenset({
    "Soviet Union", "Union of Soviet Socialist Republics", "Soviet Russia", "Russian Empire",
    "Soviet Republic", "Russian Soviet Federative Socialist Republic", "Transcaucasia",
    "Siberia", "Urals", "Caucasus", "Crimea", "Turkestan", "Central Asia", "Petrograd",
    "Leningrad", "St. Petersburg", "Saint Petersburg", "Stalingrad", "Tsaritsyn", "Sverdlovsk",
    "Ekaterinburg", "Yekaterinburg", "Alma-Ata", "Alma Ata", "Kolyma", "Vorkuta", "Solovki",
    "Magadan", "Norilsk", "Karaganda", "Tiflis", "Tbilisi", "Baku", "Kharkov", "Kharkiv",
    "Kiev", "Kyiv", "Odessa", "Minsk", "Kronstadt", "Prinkipo", "Coyoacán", "Coyoacan",
    "Barnaul", "Tomsk", "Omsk", "Irkutsk", "Verkhneuralsk", "Suzdal", "Yaroslavl", "Astrakhan",
    "Tobolsk", "Ufa", "Samara", "Kazan", "Perm", "Vyatka", "Orenburg", "Tashkent", "Bukhara",
    "Samarkand", "Ashkhabad", "Yerevan", "Erevan", "Vladivostok", "Khabarovsk", "Archangel",
    "Arkhangelsk", "Murmansk", "Pechora", "Ukhta", "Western Europe", "Eastern Europe",
})
NOT_NAMES = frozenset({"NEP", "NEPmen", "N.E.P", "N.E.P.", "God", "Internationale", "Marxism",
                       "Soviet", "Left",
                       "Right", "State", "Center", "Government", "Revolution", "Republic",
                       "Empire", "West", "East", "North", "South"})
# Possessive words that belong inside body names: "People's Commissariat".
POSSESSIVE_MODIFIERS = frozenset({"People's", "People’s", "Workers'", "Workers’", "Peasants'",
                                  "Peasants’", "Soldiers'", "Soldiers’", "Women's", "Women’s",
                                  "Writers'", "Writers’", "Sailors'", "Sailors’"})
