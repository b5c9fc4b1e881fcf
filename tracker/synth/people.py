"""Invented people for synthetic leaks: multinational name pools and detention vocabulary.

Every person produced here is a random combination of common given names and surnames
drawn from per-region pools, with random dates and numbers. None is a real record; the
pools exist so that test leaks look like the real thing (compound Spanish surnames,
particles, accents, Turkish dotless i, transliterated Arabic and Russian names...) and
exercise the same normalisation paths a real leak would.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import random
from dataclasses import dataclass, field

# --- detention vocabulary (invented facility names; generic status phrases; US cities) ---

FACILITIES: tuple[str, ...] = (
    "Cedar Ridge Detention Center", "Red River Processing Center", "Palo Seco Contract Facility",
    "Harlan County Correctional Center", "Pine Hollow Service Processing Center",
    "Blue Creek Detention Facility", "Sandstone Regional Detention Facility",
    "Willow Bend Processing Center", "Lone Mesa ICE Processing Center", "Granite Falls Annex",
    "Coyote Wells Detention Center", "Bayou Laurel Correctional Center",
    "North Prairie Contract Detention Facility", "Silver Lake Processing Center",
    "Hollis County Detention Center", "Three Rivers Service Processing Center",
    "Marlow Regional Jail", "Dry Gulch Federal Contract Facility", "Oak Plains Detention Facility",
    "San Benito Valley Processing Center", "Laurel Hill Transitional Center",
    "Eastgate County Correctional Facility", "Mesquite Flats Detention Center",
    "Sierra Alta Processing Center", "Tamarack County Jail", "Riverside Bend Annex",
    "Cottonwood Creek Detention Facility", "Big Horn Valley Processing Center",
    "Saint Clair County Detention Center", "Haverford Contract Detention Facility",
    "Magnolia Parish Correctional Center", "Stony Point Service Processing Center",
    "West Ridge Regional Detention Facility", "Ironwood Processing Center",
    "Clearwater Bay Detention Center", "Juniper Hills Correctional Center",
    "Monte Vista Annex", "Brazos Bend Immigration Processing Center",
    "Falcon Ridge Detention Facility", "Northwoods County Jail",
)

AORS: tuple[str, ...] = (
    "Atlanta", "Baltimore", "Boston", "Buffalo", "Chicago", "Dallas", "Denver", "Detroit",
    "El Paso", "Harlingen", "Houston", "Los Angeles", "Miami", "New Orleans", "New York City",
    "Newark", "Philadelphia", "Phoenix", "Salt Lake City", "San Antonio", "San Diego",
    "San Francisco", "Seattle", "St. Paul", "Washington",
)

CASE_STATUSES: tuple[str, ...] = (
    "Asylum Application Pending", "Credible Fear - Positive", "Reasonable Fear - Positive",
    "Withholding Pending", "CAT Claim Pending", "Final Order - Appeal Pending",
    "Fear Claim Pending", "Removal Proceedings Pending",
)

BOOK_IN_START = dt.date(2022, 1, 1)
BOOK_IN_DAYS = 365
DOB_START = dt.date(1940, 1, 1)
DOB_END = dt.date(2006, 12, 31)

# Particles that join surnames and never identify anyone on their own.
PARTICLES: frozenset[str] = frozenset({"DE", "DEL", "LA", "LOS", "LAS", "DA", "DAS", "DO", "DOS", "Y", "E",
                                       "EL", "AL", "OULD", "BIN", "ST."})


@dataclass(frozen=True)
class NamePool:
    """Names of one region and the countries whose citizens carry them."""

    region: str
    countries: tuple[tuple[str, float], ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    compound_surname: float = 0.0  # chance of two surnames ("GÓMEZ TORRES")
    compound_given: float = 0.0  # chance of two given names ("JOSÉ LUIS")
    particles: tuple[str, ...] = ()  # "DE LA", "DOS": prefixed to a surname
    particle_rate: float = 0.0
    female_surname: tuple[tuple[str, str], ...] = ()  # suffix rewrites for women (Russian -OV -> -OVA)
    weight: float = 1.0


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


_SPANISH_MALE = _split("""JOSÉ, LUIS, JUAN, CARLOS, JORGE, MIGUEL, ANTONIO, FRANCISCO, JESÚS, MANUEL, PEDRO,
ALEJANDRO, RICARDO, FERNANDO, RAÚL, SERGIO, ÓSCAR, HÉCTOR, RAMÓN, ANDRÉS, JULIO, MARIO, EDUARDO, VÍCTOR,
RUBÉN, ROBERTO, ARTURO, ÁNGEL, DAVID, DANIEL, ALBERTO, JAVIER, RAFAEL, ENRIQUE, GUSTAVO, HUGO, IVÁN,
CRISTIAN, EDGAR, ADRIÁN, MARCO ANTONIO, NÉSTOR, SAÚL, EFRAÍN, JOAQUÍN, TOMÁS, AGUSTÍN, GERARDO, ARMANDO,
FELIPE, ISMAEL, RODRIGO, GILBERTO, WILFREDO, ROGELIO, ESTEBAN, FAUSTINO, LEONEL, OSVALDO, MAURICIO""")
_SPANISH_FEMALE = _split("""MARÍA, GUADALUPE, ANA, ROSA, JUANA, LUCÍA, CARMEN, VERÓNICA, PATRICIA, LAURA,
SANDRA, MÓNICA, ADRIANA, GABRIELA, ELENA, SOFÍA, CLAUDIA, DANIELA, ALEJANDRA, MARTHA, BEATRIZ, SILVIA,
YOLANDA, LETICIA, NORMA, ISABEL, TERESA, ROCÍO, LILIANA, ANGÉLICA, ESPERANZA, DOLORES, INÉS, JIMENA,
NOEMÍ, RAQUEL, MIRIAM, XIMENA, CONSUELO, REBECA, MARISOL, PAOLA, ARACELI, FABIOLA, ROSARIO""")
_SPANISH_SURNAMES = _split("""GARCÍA, HERNÁNDEZ, MARTÍNEZ, LÓPEZ, GONZÁLEZ, RODRÍGUEZ, PÉREZ, SÁNCHEZ,
RAMÍREZ, CRUZ, FLORES, GÓMEZ, MORALES, VÁZQUEZ, REYES, JIMÉNEZ, TORRES, DÍAZ, GUTIÉRREZ, RUIZ, MENDOZA,
AGUILAR, ORTIZ, MORENO, CASTILLO, ROMERO, ÁLVAREZ, MÉNDEZ, CHÁVEZ, RIVERA, JUÁREZ, RAMOS, DOMÍNGUEZ,
HERRERA, MEDINA, CASTRO, VARGAS, GUZMÁN, VELÁZQUEZ, MUÑOZ, ROJAS, CONTRERAS, SALAZAR, LUNA, ORTEGA,
SANTIAGO, GUERRERO, BAUTISTA, CERVANTES, ESTRADA, FIGUEROA, CAMPOS, VEGA, SANDOVAL, CARRILLO, NÚÑEZ,
IBARRA, PACHECO, ESPINOZA, VALENCIA, OROZCO, BENÍTEZ, PEÑA, ZAMORA, ACOSTA, OCHOA, MOLINA, CORTÉS,
TREJO, VILLALOBOS, QUINTERO, BELTRÁN, ARELLANO, CÁRDENAS, MALDONADO, SOLÍS, OLVERA, ZÚÑIGA, ARRIAGA,
BARRERA, VALDEZ, PADILLA, TAPIA, ROSALES, MIRANDA, OSORIO, PORTILLO, CÓRDOVA, FUENTES, ARAGÓN, LEDESMA""")
_SPANISH_PARTICLES = ("DE LA", "DEL", "DE LOS", "DE")

_CENTRAL_MALE = _split("""BRAYAN, ELMER, WILMER, KEVIN, EDWIN, NELSON, DIXON, JOSUÉ, ERICK, FREDY, SELVIN,
OLVIN, DENIS, MARVIN, ALEXANDER, JEFFERSON, JONATHAN, BYRON, ANÍBAL, ISAÍAS""")
_CENTRAL_FEMALE = _split("""YESENIA, KENIA, DAYANA, WENDY, GLENDA, DORA, MARLENY, YOSELIN, SULMA, ELVIRA,
IRIS, ONEYDA, ROXANA, KARLA, LESLY, DILCIA, MARITZA, ANTONIA""")
_MAYA_SURNAMES = _split("""AJCALÓN, TZOC, XICARÁ, COJ, CHUB, CAAL, POP, TUN, XOL, CUC, BOL, QUEJ, ICÚ, TZUL,
CANIL, SAQUIC, YAX, AJPOP, CHOC, MAQUÍN""")

_VENEZUELAN_MALE = _split("""YORMAN, DARWIN, YEFERSON, JHONNY, DEIVIS, ROYNER, ENDER, YOHAN, LEONARDO,
ORLANDO, WUILMER, NEOMAR""")
_VENEZUELAN_FEMALE = _split("""YUSMARY, MARIELYS, YUSBELIS, DAYANARA, ORIANA, YELITZA, NAILETH, ROSMARY,
YORGELIS, ANDREÍNA, MILAGROS""")

_BRAZIL_MALE = _split("""JOÃO, PAULO, LUCAS, GABRIEL, RAFAEL, THIAGO, MATHEUS, GUILHERME, RODRIGO, MARCELO,
FÁBIO, ANDRÉ, SEBASTIÃO, CAIO, VINÍCIUS, LEANDRO, DOUGLAS, WELLINGTON, EDSON, CLÁUDIO""")
_BRAZIL_FEMALE = _split("""ANA PAULA, FERNANDA, JULIANA, PATRÍCIA, ALINE, CAMILA, LETÍCIA, BRUNA, TATIANA,
LUCIANA, CONCEIÇÃO, MARIA DAS GRAÇAS, SIMONE, VANESSA, JÉSSICA, RAFAELA, THAÍS, LARISSA""")
_BRAZIL_SURNAMES = _split("""SILVA, SANTOS, OLIVEIRA, SOUZA, LIMA, PEREIRA, FERREIRA, ALVES, COSTA, RIBEIRO,
CARVALHO, ARAÚJO, GOMES, MARTINS, ROCHA, BARBOSA, CONCEIÇÃO, FALCÃO, MAGALHÃES, GUIMARÃES, BRANDÃO,
NASCIMENTO, CAVALCANTI, MONTEIRO, PEIXOTO, ASSUNÇÃO, CORRÊA, MOREIRA, TEIXEIRA, BATISTA""")

_HAITI_MALE = _split("""JEAN, JEAN ROBERT, JEAN-BAPTISTE, PIERRE, JOSEPH, JACQUES, WOODLEY, WILNER, RONALD,
FRANTZ, DIEUNEL, JEAN CLAUDE, LOUIS, EMMANUEL, STANLEY, RICHARDSON, MACKENSON, JUNIOR, FRITZ""")
_HAITI_FEMALE = _split("""MARIE, MARIE CLAIRE, ROSELINE, NADÈGE, FABIOLA, MIRLANDE, GUERDA, JOSETTE, MICHELINE,
WIDLINE, ISMONDE, ROSE-MARIE, NATACHA, CHRISTELLE, DAPHNÉE, LOUISE""")
_HAITI_SURNAMES = _split("""JOSEPH, PIERRE, JEAN-BAPTISTE, CHARLES, LOUIS, JEAN-LOUIS, DORVILUS, ST. FLEUR,
FRANÇOIS, ÉTIENNE, AUGUSTIN, CÉLESTIN, DORÉUS, THÉLUSMA, BELIZAIRE, DESROSIERS, PIERRE-LOUIS, EXANTUS,
NOËL, MERISIER, BAPTISTE, SAINT-JUSTE, LAGUERRE, DUVERNÉ, AMBROISE""")

_RUSSIAN_MALE = _split("""ALEKSANDR, SERGEY, DMITRY, ANDREY, ALEKSEY, MAKSIM, IVAN, MIKHAIL, NIKOLAY, YURIY,
OLEG, VLADIMIR, ARTEM, DENIS, PAVEL, ROMAN, BOGDAN, TARAS, MYKOLA, OLEKSANDR, VOLODYMYR, YEVHEN""")
_RUSSIAN_FEMALE = _split("""ANNA, OLGA, YELENA, NATALIYA, TATYANA, IRINA, SVETLANA, YULIYA, EKATERINA, MARINA,
ANASTASIYA, DARIA, OKSANA, KATERYNA, VIKTORIYA, LYUDMYLA, KSENIYA, ALINA""")
_RUSSIAN_SURNAMES = _split("""IVANOV, SMIRNOV, KUZNETSOV, POPOV, VASILYEV, PETROV, SOKOLOV, MIKHAYLOV, NOVIKOV,
FEDOROV, MOROZOV, VOLKOV, ALEKSEYEV, LEBEDEV, SEMYONOV, YEGOROV, PAVLOV, KOZLOV, STEPANOV, NIKOLAYEV,
ORLOV, ZAKHAROV, BELYAYEV, SHEVCHENKO, KOVALENKO, BONDARENKO, TKACHENKO, KRAVCHUK, OLIYNYK, SAVCHUK,
MELNYK, BOYKO, HRYTSENKO, LYSENKO, KOVALCHUK, POLISHCHUK""")
_RUSSIAN_FEMININE = (("OV", "OVA"), ("EV", "EVA"), ("YEV", "YEVA"), ("IN", "INA"))

_TURKISH_MALE = _split("""MEHMET, MUSTAFA, AHMET, ALİ, HÜSEYİN, HASAN, İBRAHİM, İSMAİL, OSMAN, YUSUF, MURAT,
ÖMER, RAMAZAN, HALİL, SÜLEYMAN, ABDULLAH, EMRE, BURAK, ÇAĞLAR, OĞUZ, TOLGA, BARIŞ, UĞUR, SERKAN""")
_TURKISH_FEMALE = _split("""FATMA, AYŞE, EMİNE, HATİCE, ZEYNEP, ELİF, MERYEM, ŞERİFE, SULTAN, HANİFE, GÜLSÜM,
ÖZLEM, DİLEK, SEDA, BÜŞRA, NESLİHAN, TUĞBA, ŞULE, GÜLŞEN, DERYA""")
_TURKISH_SURNAMES = _split("""YILMAZ, KAYA, DEMİR, ŞAHİN, ÇELİK, YILDIZ, YILDIRIM, ÖZTÜRK, AYDIN, ÖZDEMİR,
ARSLAN, DOĞAN, KILIÇ, ASLAN, ÇETİN, KARA, KOÇ, KURT, ÖZKAN, ŞİMŞEK, POLAT, ÖZCAN, KORKMAZ, ÇAKIR, ERDOĞAN,
GÜNEŞ, AKTAŞ, KOÇAK, BOZKURT, TÜRKMEN""")

_INDIA_MALE = _split("""RAJESH, SURESH, AMIT, RAHUL, VIKRAM, SANJAY, ANIL, MANPREET, GURPREET, HARJIT,
JASPREET, RAVI, DEEPAK, ARJUN, KARAN, NIKHIL, PRADEEP, HARSH, VIJAY, SUNIL, MANOJ, ASHOK""")
_INDIA_FEMALE = _split("""PRIYA, ANJALI, SUNITA, POOJA, NEHA, KAVITA, MEENA, HARPREET, SIMRAN, JASLEEN,
DIVYA, LAKSHMI, REKHA, SHALINI, ANITA, RUPINDER""")
_INDIA_SURNAMES = _split("""SINGH, KAUR, PATEL, SHARMA, KUMAR, GUPTA, VERMA, MEHTA, JOSHI, DESAI, REDDY, RAO,
NAIR, IYER, CHAUDHARY, GILL, SANDHU, DHILLON, SIDHU, BRAR, GREWAL, MALHOTRA, KAPOOR, BHATIA, SHAH,
TRIVEDI, PANDYA, CHOPRA""")

_CHINA_MALE = _split("""WEI, JIANHUA, XIAOMING, JUN, HAO, LEI, YONG, QIANG, JIAN, TAO, BIN, ZHIWEI, JIANGUO,
GUOQIANG, HAIYANG, PENG, CHAO, YUXUAN, ZIHAO, MINGHAO""")
_CHINA_FEMALE = _split("""LI NA, FANG, XIUYING, MEILING, YAN, JING, LING, HUI, XIAOHONG, YING, QIAN, XUE, LIJUAN,
XIAOYAN, YUTING, SHUFEN, WENJING, JIAYI""")
_CHINA_SURNAMES = _split("""WANG, LI, ZHANG, LIU, CHEN, YANG, HUANG, ZHAO, WU, ZHOU, XU, SUN, MA, ZHU, HU, GUO,
HE, LIN, GAO, LUO, ZHENG, LIANG, XIE, TANG, FENG, DENG, CAO, PENG, ZENG, XIAO""")

_ARABIC_MALE = _split("""MOHAMED, MOHAMMED, MUHAMMAD, AHMED, AHMAD, MAHMOUD, MUSTAFA, YOUSSEF, OMAR, KHALED,
ABDULLAH, IBRAHIM, HASSAN, HUSSEIN, ALI, SAMIR, TAREK, KARIM, WALID, NABIL, ABDEL RAHMAN, SIDI, CHEIKH""")
_ARABIC_FEMALE = _split("""FATIMA, AISHA, MARYAM, KHADIJA, ZAINAB, NOUR, LAYLA, AMINA, HALIMA, SALMA, RANIA,
HIBA, MARIEM, YASMIN, SAMIRA, HANAN""")
_ARABIC_SURNAMES = _split("""EL AMIN, ABDELRAHMAN, AL-HASHIMI, HADDAD, KHALIL, MANSOUR, SALEH, NASSER, AL-MASRI,
OULD MOHAMED, OULD AHMED, BA, SY, ABDALLAH, HAMDAN, YOUSSEF, EL KHOURY, BENALI, AL-ZUBAIDI, OSMAN,
ELSAYED, FARAG, MOUSSA, AL-SHAMI, OULD SIDI""")

_AFGHAN_MALE = _split("""AHMAD, ZABIHULLAH, MOHAMMAD NASIR, ABDUL, HAMID, NAJIBULLAH, SAYED, FARID, RAHMATULLAH,
MASOUD, JAWAD, KHALID, SHAFIQ, WAHID, QADIR, HABIBULLAH""")
_AFGHAN_FEMALE = _split("""ZAHRA, MARZIA, FARIBA, NILOFAR, SHABNAM, PARWANA, LAILA, FRISHTA, MURSAL, HOMA,
SHAKILA, ROYA""")
_AFGHAN_SURNAMES = _split("""AHMADZAI, POPAL, STANEKZAI, HAKIMI, RAHIMI, AMIRI, SULTANI, NOORI, KARIMI, SAFI,
WARDAK, MOHMAND, HOTAK, NAZARI, QURESHI, HAIDARI, SADAT, YOUSUFZAI""")

POOLS: tuple[NamePool, ...] = (
    NamePool("mexico", (("MEXICO", 1.0),), _SPANISH_MALE, _SPANISH_FEMALE, _SPANISH_SURNAMES,
             compound_surname=0.45, compound_given=0.25, particles=_SPANISH_PARTICLES, particle_rate=0.05,
             weight=28),
    NamePool("central_america",
             (("GUATEMALA", 0.4), ("HONDURAS", 0.35), ("EL SALVADOR", 0.2), ("NICARAGUA", 0.05)),
             _SPANISH_MALE + _CENTRAL_MALE, _SPANISH_FEMALE + _CENTRAL_FEMALE,
             _SPANISH_SURNAMES + _MAYA_SURNAMES, compound_surname=0.4, compound_given=0.3,
             particles=_SPANISH_PARTICLES, particle_rate=0.04, weight=26),
    NamePool("south_america",
             (("COLOMBIA", 0.35), ("ECUADOR", 0.3), ("PERU", 0.2), ("CUBA", 0.15)),
             _SPANISH_MALE, _SPANISH_FEMALE, _SPANISH_SURNAMES, compound_surname=0.5,
             compound_given=0.3, particles=_SPANISH_PARTICLES, particle_rate=0.06, weight=14),
    NamePool("venezuela", (("VENEZUELA", 1.0),), _SPANISH_MALE + _VENEZUELAN_MALE,
             _SPANISH_FEMALE + _VENEZUELAN_FEMALE, _SPANISH_SURNAMES, compound_surname=0.45,
             compound_given=0.3, particles=_SPANISH_PARTICLES, particle_rate=0.04, weight=8),
    NamePool("brazil", (("BRAZIL", 1.0),), _BRAZIL_MALE, _BRAZIL_FEMALE, _BRAZIL_SURNAMES,
             compound_surname=0.35, compound_given=0.2, particles=("DA", "DOS", "DE", "DAS"),
             particle_rate=0.15, weight=4),
    NamePool("haiti", (("HAITI", 1.0),), _HAITI_MALE, _HAITI_FEMALE, _HAITI_SURNAMES, compound_given=0.1,
             weight=5),
    NamePool("russia_ukraine", (("RUSSIA", 0.55), ("UKRAINE", 0.45)), _RUSSIAN_MALE, _RUSSIAN_FEMALE,
             _RUSSIAN_SURNAMES, female_surname=_RUSSIAN_FEMININE, weight=3),
    NamePool("turkey", (("TURKEY", 1.0),), _TURKISH_MALE, _TURKISH_FEMALE, _TURKISH_SURNAMES,
             compound_given=0.1, weight=2),
    NamePool("india", (("INDIA", 1.0),), _INDIA_MALE, _INDIA_FEMALE, _INDIA_SURNAMES, weight=4),
    NamePool("china", (("CHINA", 1.0),), _CHINA_MALE, _CHINA_FEMALE, _CHINA_SURNAMES, weight=2),
    NamePool("arabic", (("MAURITANIA", 0.35), ("EGYPT", 0.25), ("SYRIA", 0.15), ("YEMEN", 0.1),
                        ("SUDAN", 0.15)),
             _ARABIC_MALE, _ARABIC_FEMALE, _ARABIC_SURNAMES, compound_given=0.05, weight=2),
    NamePool("afghanistan", (("AFGHANISTAN", 1.0),), _AFGHAN_MALE, _AFGHAN_FEMALE, _AFGHAN_SURNAMES,
             weight=2),
)

COUNTRIES: tuple[str, ...] = tuple(sorted({c for pool in POOLS for c, _ in pool.countries}))


# --- the realistic population: the same regions plus Vietnam, surnames that look like particles,
# and Zipf-weighted names (the first name of each list is the most common) ---

def _insert(names: tuple[str, ...], extra: dict[int, str]) -> tuple[str, ...]:
    """``names`` with each ``extra`` value put at its rank (0-based), in rank order."""
    out = list(names)
    for rank, name in sorted(extra.items()):
        out.insert(min(rank, len(out)), name)
    return tuple(out)


# Surnames that are, or begin with, words a normaliser may take for particles: "DE LA O" (whose
# compound form "DE LA O MARTÍNEZ" loses everything but the particle when the second surname is
# dropped), "DEL RIO", the Chinese DU, the Vietnamese LE, DO, DA.
PARTICLE_LIKE_SURNAMES: tuple[str, ...] = ("DE LA O", "DEL RIO", "DU", "LE", "DO", "DA")

_SPANISH_SURNAMES_REAL = _insert(_SPANISH_SURNAMES, {18: "DE LA O", 33: "DEL RIO"})
_CHINA_SURNAMES_REAL = _insert(_CHINA_SURNAMES, {7: "DU"})
_VIETNAM_MALE = _split("""MINH, DUC, HUNG, TUAN, ANH, THANH, DUNG, QUANG, HOANG, NAM, LONG, KHANH, BAO, HIEU,
PHUC, TRUNG, VIET, HAI, SON, THANG""")
_VIETNAM_FEMALE = _split("""LAN, HUONG, THU, LINH, MAI, HOA, NGOC, TRANG, HANH, PHUONG, THAO, NHUNG, HIEN, YEN,
VY, TAM""")
_VIETNAM_SURNAMES = _split("""NGUYEN, TRAN, LE, PHAM, HOANG, HUYNH, PHAN, VU, VO, DANG, BUI, DO, HO, NGO, DUONG,
LY, DA, TRUONG, DINH, LAM""")


def _realistic(pool: NamePool) -> NamePool:
    """A classic pool as the realistic population has it (Spanish and Chinese surnames extended)."""
    if pool.surnames[: len(_SPANISH_SURNAMES)] == _SPANISH_SURNAMES:  # every Spanish-speaking pool
        rest = pool.surnames[len(_SPANISH_SURNAMES):]
        return dataclasses.replace(pool, surnames=_SPANISH_SURNAMES_REAL + rest)
    if pool.region == "china":
        return dataclasses.replace(pool, surnames=_CHINA_SURNAMES_REAL, weight=3)
    return pool


REALISTIC_POOLS: tuple[NamePool, ...] = tuple(_realistic(p) for p in POOLS) + (
    NamePool("vietnam", (("VIETNAM", 1.0),), _VIETNAM_MALE, _VIETNAM_FEMALE, _VIETNAM_SURNAMES,
             compound_given=0.3, weight=2),
)


@dataclass(frozen=True)
class Population:
    """Where invented people come from: the name pools, and how names are weighted within a pool.

    An exponent of 0 draws every name of a pool list equally often; an exponent s > 0 gives
    the name of rank r (1-based, in pool order: the lists start with the commonest names) a
    weight of r^-s, as real name frequencies fall off. Given names are more concentrated
    than surnames (JOSÉ, MARÍA). With such weights a large leak and an unrelated roster of
    the same population share many (birth date, first name, surname) combinations by chance,
    as real ones do.
    """

    name: str
    pools: tuple[NamePool, ...]
    zipf_given: float = 0.0
    zipf_surname: float = 0.0

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted({c for pool in self.pools for c, _ in pool.countries}))

    @functools.cached_property
    def _cum_weights(self) -> dict[tuple[int, float], list[float]]:
        table: dict[tuple[int, float], list[float]] = {}  # by id() of the pool's own tuples
        for pool in self.pools:
            for names, s in ((pool.male, self.zipf_given), (pool.female, self.zipf_given),
                             (pool.surnames, self.zipf_surname)):
                table[id(names), s] = list(itertools.accumulate((r + 1) ** -s for r in range(len(names))))
        return table

    def pick(self, rng: random.Random, names: tuple[str, ...], exponent: float) -> str:
        """One name of a pool list, uniformly (``exponent`` 0) or by Zipf rank."""
        if not exponent:
            return rng.choice(names)
        return rng.choices(names, cum_weights=self._cum_weights[id(names), exponent])[0]


#: The pools of the first generated corpora, every name equally likely (the default: tests and
#: corpora made before the realistic population stay the same for the same seed).
CLASSIC = Population("classic", POOLS)
#: Zipf-weighted names (given names s = 1.0, surnames s = 0.7), a Vietnamese pool and
#: particle-like surnames: for the new re-post forms, the scale suite and the throughput stream.
REALISTIC = Population("realistic", REALISTIC_POOLS, zipf_given=1.0, zipf_surname=0.7)
POPULATIONS: dict[str, Population] = {p.name: p for p in (CLASSIC, REALISTIC)}
ALL_COUNTRIES: tuple[str, ...] = REALISTIC.countries

# Names used only for people outside the detention data (other leaks, reporters, officials):
# they never occur in a synthetic leak, so documents built from them are clean by construction.
OUTSIDER_FIRST = _split("""JAMES, MARY, HAROLD, HEATHER, MICHAEL, JENNIFER, WILLIAM, LINDA, RICHARD,
ELIZABETH, THOMAS, BARBARA, RUSSELL, SUSAN, CHRISTOPHER, MEGAN, MATTHEW, SARAH, ANTHONY, KAREN, MARK,
NANCY, STEVEN, BETTY, KENNETH, DOROTHY, BRIAN, ASHLEY, GREGORY, KIMBERLY, GEORGE, EMILY, TIMOTHY, DONNA,
JASON, MICHELLE, JEFFREY, CAROL, RYAN, AMANDA, GARY, MELISSA, NICHOLAS, DEBORAH, ERIC, STEPHANIE""")
OUTSIDER_LAST = _split("""SMITH, JOHNSON, WILLIAMS, BROWN, JONES, MILLER, DAVIS, WILSON, ANDERSON, TAYLOR,
THOMAS, MOORE, JACKSON, WHITE, HARRIS, THOMPSON, CLARK, LEWIS, WALKER, HALL, ALLEN, YOUNG, KING, WRIGHT,
SCOTT, GREEN, BAKER, ADAMS, SULLIVAN, HILL, CAMPBELL, MITCHELL, ROBERTS, CARTER, PHILLIPS, EVANS, TURNER,
PARKER, COLLINS, EDWARDS, STEWART, MORRIS, MURPHY, COOK, ROGERS, MORGAN, COOPER, PETERSON, BAILEY, REED""")


@dataclass(frozen=True)
class Person:
    """One invented person as a leak row describes them."""

    last: str
    first: str
    dob: dt.date
    gender: str  # "M" / "F"
    country: str
    a_number: str  # nine digits, without the "A"
    facility: str
    aor: str
    book_in: dt.date
    status: str
    region: str = field(default="", compare=False)

    @property
    def full_name(self) -> str:
        """The name as "First Last" (how prose writes it)."""
        return f"{self.first} {self.last}"


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    names = [o for o, _ in options]
    weights = [w for _, w in options]
    return rng.choices(names, weights)[0]


_DOB_SPAN = (DOB_END - DOB_START).days


def random_dob(rng: random.Random) -> dt.date:
    """A birth date in 1940–2006, skewed towards the young adults most detention lists hold."""
    # Triangular with its mode near 1993: mostly 20-45 year olds, a tail back to 1940.
    days = int(rng.triangular(0, _DOB_SPAN, _DOB_SPAN * 0.8))
    return DOB_START + dt.timedelta(days=days)


def random_date(rng: random.Random, start: dt.date, days: int) -> dt.date:
    """A uniform date in [start, start + days)."""
    return start + dt.timedelta(days=rng.randrange(days))


class PersonFactory:
    """Draws invented people from a population's pools; deterministic for a given ``random.Random``.

    A-numbers are unique across everything one factory hands out, so leak rows, look-alike
    rows and strangers never share an ID by accident.
    """

    def __init__(self, rng: random.Random, population: Population | None = None) -> None:
        self.rng = rng
        self.population = population or CLASSIC
        self._pool_weights = [p.weight for p in self.population.pools]
        self.used_ids: set[str] = set()

    def pool(self, region: str | None = None) -> NamePool:
        """The pool named ``region``, or one drawn by the pools' weights."""
        pools = self.population.pools
        if region is None:
            return self.rng.choices(pools, self._pool_weights)[0]
        for pool in pools:
            if pool.region == region:
                return pool
        raise ValueError(f"unknown name pool {region!r}; known: {', '.join(p.region for p in pools)}")

    def new_id(self) -> str:
        """A fresh nine-digit A-number (without the "A")."""
        while True:
            value = str(self.rng.randrange(100_000_000, 1_000_000_000))
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def given_name(self, pool: NamePool, gender: str) -> str:
        """One or two given names of the pool for that gender."""
        names = pool.male if gender == "M" else pool.female
        pick, s = self.population.pick, self.population.zipf_given
        first = pick(self.rng, names, s)
        if self.rng.random() < pool.compound_given:
            second = pick(self.rng, names, s)
            if second != first and " " not in first and "-" not in first:
                first = f"{first} {second}"
        return first

    def surname(self, pool: NamePool, gender: str) -> str:
        """A surname of the pool: maybe compound, maybe with a particle, feminised where the language does."""
        rng = self.rng
        pick, s = self.population.pick, self.population.zipf_surname
        last = pick(rng, pool.surnames, s)
        if gender == "F":
            for male, female in pool.female_surname:
                if last.endswith(male):
                    last = last[: -len(male)] + female
                    break
        if pool.particles and rng.random() < pool.particle_rate and last.split()[0] not in PARTICLES:
            last = f"{rng.choice(pool.particles)} {last}"
        if rng.random() < pool.compound_surname:
            second = pick(rng, pool.surnames, s)
            if second != last:
                last = f"{last} {second}"
        return last

    def person(self, region: str | None = None, *, gender: str | None = None) -> Person:
        """One invented person with every leak column filled."""
        rng = self.rng
        pool = self.pool(region)
        gender = gender or ("M" if rng.random() < 0.68 else "F")
        return Person(
            last=self.surname(pool, gender),
            first=self.given_name(pool, gender),
            dob=random_dob(rng),
            gender=gender,
            country=_weighted(rng, pool.countries),
            a_number=self.new_id(),
            facility=rng.choice(FACILITIES),
            aor=rng.choice(AORS),
            book_in=random_date(rng, BOOK_IN_START, BOOK_IN_DAYS),
            status=rng.choice(CASE_STATUSES),
            region=pool.region,
        )


def outsider_name(rng: random.Random) -> tuple[str, str]:
    """(first, last) from the outsider pool: never a name of a synthetic detainee."""
    return rng.choice(OUTSIDER_FIRST), rng.choice(OUTSIDER_LAST)
