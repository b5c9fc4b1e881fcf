"""Understanding a leaked table's columns: where its header is and what each column holds.

Leaks arrive as spreadsheets nobody designed for us: titles above the header, headers in
Spanish or German or called ``col3``, names split or joined.  The matcher needs to know
which column is a name, a date of birth, an ID, so this module decides each column's
:class:`~fingerprints.roles.Role` from its header text (fuzzy, multilingual) and, when the
header does not help, from what its values look like.

Everything here is pure (no I/O).  Every *reason* string produced here is printed and
logged, so it may quote header text, counts and percentages, and never a cell value.
"""
from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from fingerprints.errors import ColumnError
from fingerprints.normalize import excel_serial_date, fold, parse_dates
from fingerprints.roles import Role

__all__ = ["find_header_row", "detect_roles", "header_role", "parse_column_overrides", "IDENTIFYING_ROLES",
           "DATE_ROLES", "serial_date_values", "serial_date_columns"]

#: Roles that can single out a person; a leak table needs at least one of them.
IDENTIFYING_ROLES: frozenset[Role] = frozenset(
    {Role.FIRST_NAME, Role.LAST_NAME, Role.MIDDLE_NAME, Role.FULL_NAME, Role.DOB, Role.ID}
)

# --------------------------------------------------------------------------------------
# Header vocabulary.  Phrases are written already normalised (see _norm_header): lower
# case, no accents, words separated by one space; "#", "no", "nr" read as "number".
# --------------------------------------------------------------------------------------
_SYNONYMS: dict[Role, str] = {
    Role.FULL_NAME: """
        name, full name, names, person name, detainee name, subject name, alien name, client name,
        applicant name, nombre completo, nombre y apellidos, nombres y apellidos, apellidos y nombres,
        apellido y nombre, nom complet, nom et prenom, nom et prenoms, nom prenom, prenom et nom,
        vollstandiger name, vor und nachname, name und vorname, nome completo, nome e cognome,
        cognome e nome, nome e sobrenome, name vorname, nachname vorname, apellido nombre,
        apellidos nombre, nom prenoms, detainee, person, persona, personne, individual,
        naam, volledige naam, imie i nazwisko, ad soyad, adi soyadi, фио, имя и фамилия,
        полное имя, піб, الاسم, الاسم الكامل, نام و نام خانوادگی""",
    Role.FIRST_NAME: """
        first name, first names, given name, given names, forename, forenames, first, fname,
        christian name, nombre, nombres, primer nombre, nombre de pila, prenom, prenoms, vorname,
        vornamen, rufname, nome, primeiro nome, nome proprio, nome di battesimo, voornaam,
        voornamen, imie, ad, adi, имя, імя, ім я, الاسم الأول, نام""",
    Role.LAST_NAME: """
        last name, last names, surname, surnames, family name, last, lname, apellido, apellidos,
        primer apellido, apellido paterno, nom, nom de famille, nom de naissance, nachname,
        familienname, zuname, sobrenome, apelido, ultimo nome, cognome, achternaam, nazwisko,
        soyad, soyadi, фамилия, прізвище, اسم العائلة, اللقب, نام خانوادگی""",
    Role.MIDDLE_NAME: """
        middle name, middle names, middle, middle initial, mi, second name, segundo nombre,
        deuxieme prenom, second prenom, zweiter vorname, nome do meio, segundo nome, secondo nome,
        отчество, по батькові""",
    Role.DOB: """
        date of birth, dob, d o b, birth date, birthdate, birthday, born, date born, birth,
        fecha de nacimiento, fecha nacimiento, f nacimiento, fec nac, fecha nac, nacimiento,
        date de naissance, naissance, ne le, nee le, date naiss, geburtsdatum, geburtstag, geboren,
        geboren am, geb datum, data de nascimento, data nascimento, nascimento, data di nascita,
        data nascita, nato il, f nac, geboortedatum, data urodzenia, dogum tarihi,
        дата рождения, дата народження, تاريخ الميلاد, تاریخ تولد""",
    Role.ID: """
        id, identifier, id number, identification, identification number, a number, anumber,
        alien number, alien registration number, a file, a file number, case number, case id,
        file number, passport, passport number, document number, document id, doc number,
        travel document number, national id, ssn, social security number, fin, fbi number,
        subject id, person id, detainee id, booking number, eid, registration number,
        numero de documento, numero documento, numero de identificacion, documento, documento de identidad,
        dni, nie, cedula, cedula de identidad, pasaporte, numero de pasaporte, numero de caso,
        expediente, numero de expediente, curp, rut, numero, numero d identite, numero de passeport,
        passeport, piece d identite, numero de dossier, dossier, numero etranger, ausweisnummer,
        ausweis, passnummer, reisepassnummer, personalausweisnummer, aktenzeichen, kennung,
        kennnummer, numero do documento, documento de identificacao, passaporte, numero do passaporte,
        cpf, rg, numero di documento, numero di passaporto, passaporto, codice fiscale,
        numero pratica, paspoortnummer, numer paszportu, pasaport number, kimlik number,
        номер паспорта, паспорт, номер документа, رقم جواز السفر, رقم الهوية, شماره گذرنامه""",
    Role.COUNTRY: """
        country, nationality, citizenship, country of citizenship, country of origin, country of birth,
        birth country, nation, origin, pais, nacionalidad, pais de origen, pais de nacimiento,
        ciudadania, pays, nationalite, pays d origine, pays de naissance, citoyennete,
        staatsangehorigkeit, nationalitat, herkunftsland, geburtsland, land, staat, nacionalidade,
        pais de nascimento, cidadania, paese, nazionalita, cittadinanza, paese di nascita,
        paese di origine, nationaliteit, obywatelstwo, uyruk, uyrugu, гражданство, громадянство,
        страна, الجنسية, ملیت""",
    Role.PLACE: """
        place, facility, detention facility, facility name, detention center, detention centre,
        center, centre, city, town, office, field office, aor, area of responsibility, address,
        location, site, camp, shelter, prison, jail, unit, state, province, region, county,
        place of birth, birthplace, birth place, city of birth, centro, centro de detencion, lugar,
        lugar de nacimiento, ciudad, direccion, domicilio, oficina, provincia, municipio,
        departamento, lieu, lieu de naissance, ville, adresse, bureau, centre de retention,
        commune, ort, geburtsort, wohnort, stadt, einrichtung, unterkunft, anschrift, cidade,
        endereco, local, localidade, local de nascimento, citta, indirizzo, luogo,
        luogo di nascita, comune, struttura""",
    Role.STATUS: """
        status, case status, custody status, detention status, immigration status, disposition,
        outcome, decision, result, resolution, estado, estatus, situacion, estado del caso,
        statut, situation, etat, zustand, verfahrensstand, aufenthaltsstatus, situacao,
        estado do caso, stato, situazione, esito, статус, durum""",
    Role.GENDER: """
        gender, sex, sexo, genero, sexe, genre, geschlecht, sesso, genere,
        geslacht, plec, cinsiyet, пол, стать, الجنس, جنسیت""",
    Role.DATE: """
        date, book in date, booking date, book in, arrival date, arrival, date of arrival,
        entry date, date of entry, release date, removal date, detention date, apprehension date,
        encounter date, intake date, created, updated, timestamp, fecha, fecha de ingreso,
        fecha de llegada, fecha de entrada, fecha de salida, fecha de detencion, date d arrivee,
        date d entree, date de sortie, arrivee, datum, einreisedatum, ankunftsdatum,
        aufnahmedatum, data, data de entrada, data de chegada, data di arrivo, data di ingresso""",
    Role.OTHER: """
        notes, note, comments, comment, remarks, observaciones, observacion, comentarios, notas,
        remarques, commentaires, bemerkungen, anmerkungen, observacoes, note, phone, telephone,
        phone number, telefono, email, e mail, correo, row, row number, line, index, s number,
        sr number, sl number, serial, item, age, edad, alter, idade, eta, language, idioma,
        langue, sprache, lingua""",
}

#: Words so generic that any other role word in the same header wins over them
#: ("Facility Name" is a place, "Phone number" is not an ID).
_GENERIC = frozenset({"name", "names", "number", "numero", "id"})
_NUMBER_WORDS = {"no", "nr", "num", "nro", "nbr", "nb", "n"}


def _words(text: str) -> list[str]:
    """Folded alphanumeric words of ``text``."""
    return re.sub(r"[\W_]+", " ", fold(text)).split()


@lru_cache(maxsize=4096)
def _norm_header(text: str) -> str:
    """Header text as comparable words: "Date_of-Birth" / "DateOfBirth" -> "date of birth"."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).replace("°", "o").replace("#", " number ")
    return " ".join("number" if w in _NUMBER_WORDS else w for w in _words(text))


def _phrases(spec: str) -> list[str]:
    return [p.strip() for p in spec.replace("\n", " ").split(",") if p.strip()]


# phrase -> role; later roles never override an earlier listing of the same phrase
_PHRASE_ROLE: dict[str, Role] = {}
for _role, _spec in _SYNONYMS.items():
    for _phrase in _phrases(_spec):
        _PHRASE_ROLE.setdefault(_norm_header(_phrase), _role)
_COMPACT_ROLE: dict[str, Role] = {p.replace(" ", ""): r for p, r in _PHRASE_ROLE.items()}
_FUZZY_CHOICES = [p for p in _PHRASE_ROLE if len(p) >= 5]


@dataclass(frozen=True)
class _HeaderMatch:
    role: Role
    score: int
    how: str  # "exact", "contains 'last name'", "like 'surname'"


def _contains(words: list[str], phrase: list[str]) -> int:
    """Index of the last occurrence of ``phrase`` as whole words in ``words``, or -1."""
    n = len(phrase)
    for i in range(len(words) - n, -1, -1):
        if words[i : i + n] == phrase:
            return i
    return -1


@lru_cache(maxsize=4096)
def _match_header(header: str) -> _HeaderMatch | None:
    """Best role for a header text, or None when the header says nothing we know."""
    norm = _norm_header(header)
    if not norm:
        return None
    if norm in _PHRASE_ROLE:
        return _HeaderMatch(_PHRASE_ROLE[norm], 100, "exact")
    compact = norm.replace(" ", "")
    if compact in _COMPACT_ROLE:
        return _HeaderMatch(_COMPACT_ROLE[compact], 100, "exact")
    words = norm.split()
    # Whole-word phrases inside the header: most specific wins; generic words lose.
    found: list[tuple[float, int, str, Role]] = []
    for phrase, role in _PHRASE_ROLE.items():
        pw = phrase.split()
        if len(pw) > len(words):
            continue
        at = _contains(words, pw)
        if at >= 0:
            weight = 0.5 if phrase in _GENERIC else float(len(pw))
            found.append((weight, at, phrase, role))
    if found:
        roles = {r for _, _, _, r in found}
        if {Role.FIRST_NAME, Role.LAST_NAME} <= roles:
            return _HeaderMatch(Role.FULL_NAME, 90, "first and last name words")
        weight, _, phrase, role = max(found)
        return _HeaderMatch(role, 90, f"contains '{phrase}'")
    if len(norm) >= 5 and norm not in _GENERIC:
        best = process.extractOne(norm, _FUZZY_CHOICES, scorer=fuzz.ratio, score_cutoff=85)
        if best is not None:
            phrase, score, _ = best
            return _HeaderMatch(_PHRASE_ROLE[phrase], int(score), f"like '{phrase}'")
    return None


def header_role(header: str) -> Role | None:
    """The role a header text names by itself, or None when it is not one we know."""
    match = _match_header(header)
    return match.role if match else None


#: Roles of the columns that hold dates (a birth date, another date).
DATE_ROLES: frozenset[Role] = frozenset({Role.DOB, Role.DATE})


# --------------------------------------------------------------------------------------
# Excel serial dates: where a header names a date column, five-digit serial numbers under it
# are dates (``normalize.excel_serial_date``); without such a header nothing is guessed.
# --------------------------------------------------------------------------------------
#: A table's header is looked for in its first HEADER_ROWS rows, its values in the first HEAD_ROWS.
HEADER_ROWS = 6
HEAD_ROWS = 100


def serial_date_values(values: Sequence[str]) -> bool:
    """Whether a date column's values are Excel serial numbers: half or more of its filled cells."""
    filled = [v for v in values if v and v.strip()]
    return bool(filled) and 2 * sum(1 for v in filled if excel_serial_date(v) is not None) >= len(filled)


def _date_header(cell: str) -> bool:
    return 0 < len(cell) <= 60 and any(c.isalpha() for c in cell) and header_role(cell) in DATE_ROLES


def serial_date_columns(rows: Sequence[Sequence[str]]) -> tuple[int, list[int]] | None:
    """Where a table writes dates as Excel serial numbers: (header row, columns), or ``None``.

    Looks at the first :data:`HEAD_ROWS` rows only (a document's reader and the gate's check
    both decide from them): the first of the first :data:`HEADER_ROWS` rows with a cell whose
    header text names a date (birth date, other date) over values below it that are serials
    (:func:`serial_date_values`). Every serial below that header in those columns is a date.
    """
    head = rows[:HEAD_ROWS]
    if not any(len(c) >= 5 and "0" <= c.lstrip()[:1] <= "9" and excel_serial_date(c) is not None
               for r in head[1:] for c in r):
        return None  # the usual case, decided without looking at header words
    for h in range(min(HEADER_ROWS, len(head) - 1)):
        cols = [j for j, cell in enumerate(head[h]) if _date_header(cell)
                and serial_date_values([r[j] for r in head[h + 1:] if j < len(r)])]
        if cols:
            return h, cols
    return None


# --------------------------------------------------------------------------------------
# Value shapes (detection only; the real normalisation is fingerprints.normalize's job).
# --------------------------------------------------------------------------------------
def _cell_date(text: str, today: dt.date) -> dt.date | None:
    """The date a cell most plausibly holds: for two-digit years or d/m-m/d ambiguity, the
    latest reading not in the future (so "03/14/22" is 2022, "03/14/45" is 1945)."""
    if not text or len(text) > 40 or not any(c.isdigit() for c in text):
        return None
    dates = parse_dates(text)
    if not dates:
        return None
    past = [d for d in dates if d <= today]
    return max(past) if past else min(dates)


_RE_NUMBERISH = re.compile(r"[\d\s.,:;/\\\-+()#%$€£]+")
_RE_ID = re.compile(r"[A-Za-z]{0,3}[-\s]?\d[\d\s\-/]*")
_RE_INT = re.compile(r"\d{1,9}")
_GENDER_WORDS = frozenset(
    """m f x u d h male female man woman men women boy girl other unknown nonbinary non binary nb
    masculino femenino masc fem hombre mujer varon otro masculin feminin homme femme autre
    mannlich weiblich divers mann frau maschio femmina uomo donna masculina feminina
    homem mulher""".split()
)
_STATUS_WORDS = frozenset(
    """detained released removed deported pending closed open active inactive granted denied
    approved rejected paroled custody transferred bonded escaped deceased refugee asylum asylee
    review hold expelled returned withdrawn admitted excluded
    tramite pendiente detenido detenida liberado liberada deportado deportada expulsado expulsada
    cerrado abierto aprobado rechazado concedido denegado activo inactivo
    cours libere liberee expulse expulsee refuse refusee accorde accordee ferme ouvert retenu
    laufend abgeschoben entlassen abgelehnt anerkannt offen geschlossen duldung haft
    pendente detido liberado deportado aprovado recusado concedido negado
    trattenuto rilasciato espulso respinto accolto""".split()
)


def _country_words() -> frozenset[str]:
    """Country names and demonyms (English, Spanish, some French/German), folded."""
    return frozenset(" ".join(_words(p)) for p in _phrases(_COUNTRY_TEXT))


_COUNTRY_TEXT = """
    afghanistan, albania, algeria, andorra, angola, antigua and barbuda, argentina, armenia,
    australia, austria, azerbaijan, bahamas, bahrain, bangladesh, barbados, belarus, belgium,
    belize, benin, bhutan, bolivia, bosnia and herzegovina, bosnia, botswana, brazil, brunei,
    bulgaria, burkina faso, burundi, cabo verde, cape verde, cambodia, cameroon, canada,
    central african republic, chad, chile, china, colombia, comoros, congo, dr congo, drc,
    democratic republic of the congo, republic of the congo, costa rica, cote d ivoire,
    ivory coast, croatia, cuba, cyprus, czechia, czech republic, denmark, djibouti, dominica,
    dominican republic, ecuador, egypt, el salvador, equatorial guinea, eritrea, estonia,
    eswatini, swaziland, ethiopia, fiji, finland, france, gabon, gambia, georgia, germany, ghana,
    greece, grenada, guatemala, guinea, guinea bissau, guyana, haiti, honduras, hungary,
    iceland, india, indonesia, iran, iraq, ireland, israel, italy, jamaica, japan, jordan,
    kazakhstan, kenya, kiribati, kosovo, kuwait, kyrgyzstan, laos, latvia, lebanon, lesotho,
    liberia, libya, liechtenstein, lithuania, luxembourg, madagascar, malawi, malaysia,
    maldives, mali, malta, marshall islands, mauritania, mauritius, mexico, micronesia, moldova,
    monaco, mongolia, montenegro, morocco, mozambique, myanmar, burma, namibia, nauru, nepal,
    netherlands, new zealand, nicaragua, niger, nigeria, north korea, north macedonia,
    macedonia, norway, oman, pakistan, palau, palestine, panama, papua new guinea, paraguay,
    peru, philippines, poland, portugal, qatar, romania, russia, russian federation, rwanda,
    saint kitts and nevis, saint lucia, saint vincent and the grenadines, samoa, san marino,
    sao tome and principe, saudi arabia, senegal, serbia, seychelles, sierra leone, singapore,
    slovakia, slovenia, solomon islands, somalia, south africa, south korea, korea, south sudan,
    spain, sri lanka, sudan, suriname, sweden, switzerland, syria, taiwan, tajikistan, tanzania,
    thailand, timor leste, east timor, togo, tonga, trinidad and tobago, tunisia, turkey,
    turkiye, turkmenistan, tuvalu, uganda, ukraine, united arab emirates, uae, united kingdom,
    uk, great britain, england, united states, usa, us, united states of america, uruguay,
    uzbekistan, vanuatu, venezuela, vietnam, viet nam, yemen, zambia, zimbabwe, puerto rico,
    hong kong, stateless,
    afghan, albanian, algerian, angolan, argentine, argentinian, armenian, australian, austrian,
    azerbaijani, bangladeshi, belarusian, belgian, belizean, beninese, bolivian, bosnian,
    brazilian, british, bulgarian, burkinabe, burmese, burundian, cambodian, cameroonian,
    canadian, chadian, chilean, chinese, colombian, congolese, costa rican, croatian, cuban,
    cypriot, czech, danish, djiboutian, dominican, dutch, ecuadorian, ecuadorean, egyptian,
    salvadoran, salvadorean, emirati, eritrean, estonian, ethiopian, fijian, filipino, finnish,
    french, gabonese, gambian, georgian, german, ghanaian, greek, guatemalan, guinean,
    guyanese, haitian, honduran, hungarian, icelandic, indian, indonesian, iranian, iraqi,
    irish, israeli, italian, ivorian, jamaican, japanese, jordanian, kazakh, kenyan, korean,
    kosovar, kuwaiti, kyrgyz, lao, laotian, latvian, lebanese, liberian, libyan, lithuanian,
    malagasy, malawian, malaysian, malian, maltese, mauritanian, mexican, moldovan, mongolian,
    montenegrin, moroccan, mozambican, namibian, nepalese, nepali, nicaraguan, nigerien,
    nigerian, norwegian, omani, pakistani, palestinian, panamanian, paraguayan, peruvian,
    polish, portuguese, qatari, romanian, russian, rwandan, saudi, senegalese, serbian,
    sierra leonean, singaporean, slovak, slovenian, somali, south african, sudanese,
    south sudanese, spanish, sri lankan, surinamese, swedish, swiss, syrian, taiwanese, tajik,
    tanzanian, thai, togolese, trinidadian, tunisian, turkish, turkmen, ugandan, ukrainian,
    american, uruguayan, uzbek, venezuelan, vietnamese, yemeni, zambian, zimbabwean,
    afganistan, argelia, arabia saudita, belgica, belice, bielorrusia, birmania, brasil, butan,
    camboya, camerun, chequia, chipre, corea del norte, corea del sur, costa de marfil,
    dinamarca, egipto, emiratos arabes unidos, eslovaquia, eslovenia, espana, estados unidos,
    eeuu, ee uu, etiopia, filipinas, finlandia, francia, grecia, guayana, guinea ecuatorial,
    hungria, irak, irlanda, islandia, italia, japon, jordania, kenia, libano, libia, lituania,
    marruecos, nueva zelanda, noruega, paises bajos, holanda, polonia, reino unido,
    republica dominicana, republica democratica del congo, rumania, rusia, sudafrica, suecia,
    suiza, siria, tailandia, tayikistan, turquia, ucrania, apatrida,
    afgano, afgana, argentino, boliviano, boliviana, brasileno, brasilena, chileno, chilena,
    chino, colombiano, colombiana, costarricense, cubano, cubana, dominicano, dominicana,
    ecuatoriano, ecuatoriana, salvadoreno, salvadorena, espanol, espanola, estadounidense,
    norteamericano, norteamericana, guatemalteco, guatemalteca, haitiano, haitiana, hondureno,
    hondurena, indio, mexicano, mexicana, nicaraguense, panameno, panamena, paraguayo,
    paraguaya, peruano, peruana, puertorriqueno, puertorriquena, uruguayo, uruguaya,
    venezolano, venezolana, sirio, marroqui, argelino, argelina, nigeriano, nigeriana,
    senegales, senegalesa, ruso, rusa, ucraniano, ucraniana, frances, francesa, aleman,
    alemana, italiano, italiana, ingles, inglesa, britanico, britanica, eritreo, etiope, iraqui,
    irani, bangladesi,
    allemagne, angleterre, autriche, belgique, bresil, chine, colombie, espagne, etats unis,
    grande bretagne, guinee, italie, maroc, mexique, pays bas, roumanie, royaume uni, russie,
    suisse, syrie, tunisie, turquie, erythree, somalie, deutschland, osterreich, schweiz,
    frankreich, spanien, italien, turkei, syrien, marokko, algerien, tunesien, russland,
    vereinigte staaten, kolumbien, brasilien
"""


_COUNTRIES = _country_words()

_SAMPLE = 2000  # values looked at per column; enough to decide, fast on a million rows


@dataclass
class _Profile:
    """Counts describing a column's values (never the values themselves)."""

    n: int = 0  # non-empty values in the sample
    distinct: int = 0
    dates: int = 0
    years: list[int] = field(default_factory=list)
    future: int = 0
    ids: int = 0
    genders: int = 0
    countries: int = 0
    names: int = 0
    comma_names: int = 0
    multiword: int = 0
    status_words: int = 0
    long_text: int = 0
    sequential: bool = False

    def share(self, count: int) -> float:
        return count / self.n if self.n else 0.0

    @property
    def spread(self) -> int:
        """Years between the 10th and 90th percentile of the dates."""
        ys = sorted(self.years)
        if len(ys) < 2:
            return 0
        return ys[int(0.9 * (len(ys) - 1))] - ys[int(0.1 * (len(ys) - 1))]

    @property
    def median_year(self) -> float:
        return statistics.median(self.years) if self.years else 0.0

    @property
    def birthlike(self) -> bool:
        """Dates spread over years, none (or nearly none) after today or before 1900."""
        if not self.years:
            return False
        this_year = dt.date.today().year
        plausible = sum(1900 <= y <= this_year for y in self.years) - self.future
        return plausible >= 0.95 * len(self.years) and self.spread >= 5


def _is_id_like(value: str) -> bool:
    """Mostly digits (6-12), maybe a short letter prefix: "A123456789", "123-456-789"."""
    return bool(_RE_ID.fullmatch(value)) and 6 <= sum(c.isdigit() for c in value) <= 12


def _is_name_like(value: str) -> bool:
    letters = 0
    for c in value:
        if c.isalpha():
            letters += 1
        elif c not in " '-.,’`":
            return False
    return letters >= 2


def _profile(values: Sequence[str], total_rows: int) -> _Profile:
    """Measure one column's sampled values."""
    p = _Profile()
    today = dt.date.today()
    filled = [v.strip() for v in values if v and v.strip()]
    p.n = len(filled)
    p.distinct = len(set(filled))
    ints: list[int] = []
    for v in filled:
        d = _cell_date(v, today)
        if d is not None:
            p.dates += 1
            p.years.append(d.year)
            p.future += d > today
            continue
        if _RE_INT.fullmatch(v):
            ints.append(int(v))
        if _is_id_like(v):
            p.ids += 1
            continue
        words = _words(v)
        folded = " ".join(words)
        if folded in _GENDER_WORDS:
            p.genders += 1
        if folded in _COUNTRIES:
            p.countries += 1
            continue
        if len(words) > 6:
            p.long_text += 1
        if _STATUS_WORDS.intersection(words):
            p.status_words += 1
        if _is_name_like(v) and len(words) <= 5:
            p.names += 1
            p.multiword += len(words) > 1
            p.comma_names += v.count(",") == 1 and all(part.strip() for part in v.split(","))
    if len(ints) >= 3 and len(ints) >= 0.9 * p.n:
        rising = sum(b > a for a, b in zip(ints, ints[1:]))
        p.sequential = rising >= 0.95 * (len(ints) - 1) and max(ints) <= 1.1 * total_rows + 10
    return p


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _role_from_values(p: _Profile) -> tuple[Role, str]:
    """Decide a role from value shapes alone (the header told us nothing)."""
    if p.n == 0:
        return Role.IGNORE, "no values"
    if p.share(p.dates) >= 0.8:
        what = f"values: {_pct(p.share(p.dates))} dates, spread over {p.spread} year(s)"
        if p.birthlike:
            return Role.DOB, f"{what}, plausible birth dates -> dob"
        return Role.DATE, f"{what}, not birth dates -> date"
    if p.share(p.genders) >= 0.9 and p.distinct <= 6:
        return Role.GENDER, f"values: {_pct(p.share(p.genders))} gender codes -> gender"
    if p.sequential:
        return Role.OTHER, "values: rising row numbers -> other"
    if p.share(p.ids) >= 0.8 and p.distinct >= 0.9 * p.n:
        return Role.ID, (
            f"values: {_pct(p.share(p.ids))} ID-like numbers, {_pct(p.distinct / p.n)} unique -> id"
        )
    if p.share(p.countries) >= 0.7:
        return Role.COUNTRY, f"values: {_pct(p.share(p.countries))} country names -> country"
    if p.share(p.long_text) >= 0.5:
        return Role.OTHER, f"values: {_pct(p.share(p.long_text))} free text -> other"
    few = p.distinct <= max(12, 0.1 * p.n)
    if few and p.n >= 2 * p.distinct:
        what = f"values: {p.distinct} distinct phrase(s) repeated over {p.n} cells"
        if p.share(p.status_words) >= 0.5:
            return Role.STATUS, f"{what}, status words -> status"
        return Role.PLACE, f"{what} -> place"
    if p.share(p.names) >= 0.8 and p.distinct >= 0.2 * p.n:
        what = f"values: {_pct(p.share(p.names))} name-like, {_pct(p.distinct / p.n)} unique"
        if p.share(p.comma_names) >= 0.5:
            return Role.FULL_NAME, f"{what}, {_pct(p.share(p.comma_names))} 'LAST, FIRST' -> full_name"
        if p.share(p.multiword) >= 0.5:
            return Role.FULL_NAME, f"{what}, several words -> full_name"
        return Role.FULL_NAME, f"{what}, one word each, first/last unknown -> full_name"
    return Role.OTHER, f"values: no clear pattern in {p.n} cells -> other"


def _quote(header: str) -> str:
    h = " ".join(header.split())
    return f"'{h[:40]}…'" if len(h) > 40 else f"'{h}'"


def _sample_columns(rows: Sequence[Sequence[str]], width: int) -> list[list[str]]:
    """Up to _SAMPLE rows spread evenly over the table, in order, split into columns."""
    n = len(rows)
    picked = rows if n <= _SAMPLE else [rows[(i * n) // _SAMPLE] for i in range(_SAMPLE)]
    cols: list[list[str]] = [[] for _ in range(width)]
    for row in picked:
        for j in range(width):
            cols[j].append(row[j] if j < len(row) else "")
    return cols


def detect_roles(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[tuple[Role, str]]:
    """Role of each column plus a short reason fit to print.

    The header decides when it matches our multilingual vocabulary (values only correct
    two known mistakes: a first/last-name header over "LAST, FIRST" cells is a full name,
    and an ID header over row counters is not an ID).  Otherwise values decide.  At most
    one column ends up ``dob``: a header saying "birth" beats values, then the earliest
    birth-like dates win; the other candidates become ``date``.  Reasons quote only header
    text, counts and percentages - they are printed and logged, cell values never are.
    """
    width = len(header)
    columns = _sample_columns(rows, width)
    profiles = [_profile(col, len(rows)) for col in columns]
    decided: list[tuple[Role, str, bool]] = []  # role, reason, decided by header?
    for head, prof in zip(header, profiles):
        match = _match_header(head)
        if match is None:
            role, why = _role_from_values(prof)
            label = "header empty" if not head.strip() else f"header {_quote(head)} not recognised"
            decided.append((role, f"{label}; {why}", False))
            continue
        how = "" if match.how == "exact" else f": {match.how}"
        why = f"header {_quote(head)} ~ {match.role.value} (score {match.score}{how})"
        role = match.role
        if role in (Role.FIRST_NAME, Role.LAST_NAME, Role.MIDDLE_NAME) and (
            prof.n and prof.share(prof.comma_names) >= 0.5
        ):
            role = Role.FULL_NAME
            why += f", but {_pct(prof.share(prof.comma_names))} of values are 'LAST, FIRST' -> full_name"
        elif role is Role.ID and prof.sequential:
            role = Role.OTHER
            why += ", but values are rising row numbers -> other"
        decided.append((role, why, True))
    _settle_generic_name(header, decided)
    _settle_dob(decided, profiles)
    return [(role, why) for role, why, _ in decided]


def _settle_generic_name(header: Sequence[str], decided: list[tuple[Role, str, bool]]) -> None:
    """A bare "Name" next to a first-name column and no last-name column is the surname
    (German "Name, Vorname" layout)."""
    roles = [r for r, _, _ in decided]
    if Role.FIRST_NAME not in roles or Role.LAST_NAME in roles:
        return
    for i, (role, why, by_header) in enumerate(decided):
        if role is Role.FULL_NAME and by_header and _norm_header(header[i]) == "name":
            decided[i] = (Role.LAST_NAME, f"{why}; a separate first-name column exists -> last_name", True)


def _settle_dob(decided: list[tuple[Role, str, bool]], profiles: list[_Profile]) -> None:
    """Keep one dob: header-named first (best by birth-likeness), else earliest dates."""
    dobs = [i for i, (r, _, _) in enumerate(decided) if r is Role.DOB]
    if len(dobs) <= 1:
        return

    def rank(i: int) -> tuple[bool, bool, float]:
        p = profiles[i]
        return (decided[i][2], p.birthlike, -p.median_year if p.years else 0.0)

    keep = max(dobs, key=rank)
    for i in dobs:
        if i != keep:
            role, why, by_header = decided[i]
            decided[i] = (Role.DATE, f"{why}; another column is the dob -> date", by_header)


# --------------------------------------------------------------------------------------
# Header row
# --------------------------------------------------------------------------------------
def _is_label(cell: str) -> bool:
    cell = cell.strip()
    if not cell or len(cell) > 60 or not any(c.isalpha() for c in cell):
        return False
    if _RE_NUMBERISH.fullmatch(cell) or _cell_date(cell, dt.date.max) or _is_id_like(cell):
        return False
    return " ".join(_words(cell)) not in _COUNTRIES  # "Mexico" is a value, "Country" a label


def _filled(row: Sequence[str]) -> int:
    return sum(1 for c in row if c is not None and str(c).strip())


def find_header_row(rows: Sequence[Sequence[str]], max_scan: int = 30) -> int:
    """Index of the header row among the first ``max_scan`` rows.

    Title rows above the header ("Detainee list FY2022", blank rows, "Generated on ...")
    are skipped: a header has at least two filled cells, nearly all of them label-like
    (short, with letters, not numbers or dates), and the rows below it fill a similar
    number of cells.  Among such rows the first that uses a known header word wins;
    failing that, the first one.  A one-column table's header is its first cell that is
    a known header word ("Name").  Raises ColumnError when no row qualifies.
    """
    limit = min(len(rows), max_scan)
    candidates: list[int] = []
    for i in range(limit):
        row = [str(c) if c is not None else "" for c in rows[i]]
        cells = [c for c in row if c.strip()]
        if len(cells) < 2 or sum(map(_is_label, cells)) < 0.9 * len(cells):
            continue
        below = [f for f in (_filled(r) for r in rows[i + 1 : i + 11]) if f]
        if below:
            typical = statistics.median(below)
            if typical < max(1, 0.4 * len(cells)) or len(cells) < 0.7 * typical:
                continue
        candidates.append(i)
        if any(_match_header(c) for c in cells):
            return i
    if candidates:
        return candidates[0]
    if all(_filled(rows[i]) <= 1 for i in range(limit)):  # a one-column list, e.g. of names
        for i in range(limit):
            cells = [str(c).strip() for c in rows[i] if c is not None and str(c).strip()]
            if cells and _is_label(cells[0]) and _match_header(cells[0]):
                return i
    raise ColumnError(
        f"no header row found in the first {limit} rows: expected a row of at least two "
        "column labels (words, not numbers or dates) above the data"
    )


# --------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------
def _allowed_roles() -> str:
    return ", ".join(r.value for r in Role)


def parse_column_overrides(spec: str) -> dict[str, Role]:
    """Parse ``"Last Name=last_name,DOB=dob,Notes=ignore"`` into header -> Role.

    The user's word beats detection; a typo in a role name must fail loudly, listing the
    allowed names, rather than silently mis-fingerprint a column.
    """
    result: dict[str, Role] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        header, sep, role_name = item.rpartition("=")
        header, role_name = header.strip(), role_name.strip()
        if not sep or not header:
            raise ColumnError(
                f"bad column override {item.strip()!r}: expected HEADER=ROLE, e.g. 'DOB=dob'"
            )
        try:
            role = Role(role_name.casefold())
        except ValueError:
            raise ColumnError(
                f"unknown role {role_name!r} for column {header!r}; allowed roles: {_allowed_roles()}"
            ) from None
        result[header] = role
    if not result:
        raise ColumnError("empty column override: expected HEADER=ROLE[,HEADER=ROLE...]")
    return result

