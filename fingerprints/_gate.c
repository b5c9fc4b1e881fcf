/* The compiled document gate: which lines of a document can hold a leaked record at all.
 *
 * Most of what a monitor fetches is unrelated to any leak. The Python matcher finds that out
 * correctly but pays interpreter costs per distinct token; this module does the same first
 * look in C, on the document's text (raw text, CSV and JSON as they are; an HTML page as the
 * extractor's own text of it, see tracker.prefilter), so that only the few lines around
 * possible records reach the Python matcher. It is conservative by construction: a line it drops could not have given
 * the matcher a candidate (an ID posting hit or a name x date-of-birth posting hit on the
 * line or a neighbouring one), because it computes the same keyed fingerprints (BLAKE2b,
 * RFC 7693, keyed, with the domain as personalisation) over a superset of the line's tokens.
 *
 * Tokens whose reading Python's rules decide are handed to Python (``fallback``) and cached:
 * those with non-ASCII bytes, those mixing letters and digits that the glued-field and OCR rules
 * read (``tokens.mixed_eligible``, tested the same way here), and runs of name particles before a
 * one-letter word ("de la o"). Every rule is written once, in Python.
 *
 * Pure: no I/O. Works on bytes in memory; keeps a per-process cache of classified tokens.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* BLAKE2b                                                                                     */

static const uint64_t B2_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t B2_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static inline uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

#define B2_G(a, b, c, d, x, y)          \
    do {                                \
        a = a + b + (x);                \
        d = rotr64(d ^ a, 32);          \
        c = c + d;                      \
        b = rotr64(b ^ c, 24);          \
        a = a + b + (y);                \
        d = rotr64(d ^ a, 16);          \
        c = c + d;                      \
        b = rotr64(b ^ c, 63);          \
    } while (0)

static void b2_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = B2_IV[i];
    }
    v[12] ^= t;
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = B2_SIGMA[r];
        B2_G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        B2_G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        B2_G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        B2_G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        B2_G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        B2_G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        B2_G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        B2_G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* State after the key block of keyed BLAKE2b-64 personalised with ``person`` (the domain). */
static void b2_keyed_init(uint64_t out[8], const uint8_t *key, size_t keylen, const char *person) {
    uint8_t p[64];
    memset(p, 0, sizeof p);
    p[0] = 8;                 /* digest length */
    p[1] = (uint8_t)keylen;   /* key length */
    p[2] = 1;                 /* fanout */
    p[3] = 1;                 /* depth */
    size_t plen = strlen(person);
    memcpy(p + 48, person, plen > 16 ? 16 : plen);
    for (int i = 0; i < 8; i++) out[i] = B2_IV[i] ^ load64(p + 8 * i);
    uint8_t block[128];
    memset(block, 0, sizeof block);
    memcpy(block, key, keylen);
    b2_compress(out, block, 128, 0);
}

/* Keyed 64-bit fingerprint of a non-empty message, as ``Keyer.h64`` computes it. */
static uint64_t b2_h64(const uint64_t init[8], const uint8_t *msg, size_t len) {
    uint64_t h[8];
    memcpy(h, init, sizeof h);
    uint64_t t = 128;
    uint8_t block[128];
    while (len > 128) {
        t += 128;
        b2_compress(h, msg, t, 0);
        msg += 128;
        len -= 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, msg, len);
    t += len;
    b2_compress(h, block, t, 1);
    return h[0] ? h[0] : 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Small growable vectors                                                                      */

typedef struct { uint64_t *v; size_t n, cap; } U64Vec;
typedef struct { Py_ssize_t *v; size_t n, cap; } SizeVec;
typedef struct { char *v; size_t n, cap; } ByteVec;

/* Room for ``need`` elements of ``size`` bytes (capacity doubles from ``first``). */
static int vec_reserve(void **v, size_t *cap, size_t need, size_t size, size_t first) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : first;
    while (c < need) c *= 2;
    void *p = PyMem_Realloc(*v, c * size);
    if (!p) return -1;
    *v = p;
    *cap = c;
    return 0;
}

static int u64_push(U64Vec *a, uint64_t x) {
    if (vec_reserve((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v, 64) < 0) return -1;
    a->v[a->n++] = x;
    return 0;
}

static int size_push(SizeVec *a, Py_ssize_t x) {
    if (vec_reserve((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v, 256) < 0) return -1;
    a->v[a->n++] = x;
    return 0;
}

static int bytes_reserve(ByteVec *a, size_t more) {
    return vec_reserve((void **)&a->v, &a->cap, a->n + more, 1, 4096);
}

static int bytes_put(ByteVec *a, const char *s, size_t n) {
    if (bytes_reserve(a, n) < 0) return -1;
    memcpy(a->v + a->n, s, n);
    a->n += n;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Character classes                                                                          */

/* Token bytes as the matcher splits them: ASCII letters and digits, - / . ' and every
 * non-ASCII byte (``TRANSLATE`` + ``bytes.split``). */
static uint8_t TOKEN_CHAR[256];
static uint8_t LOWER[256];

static void init_tables(void) {
    for (int c = 0; c < 256; c++) {
        TOKEN_CHAR[c] = (c >= 0x80) || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                        (c >= 'A' && c <= 'Z') || c == '-' || c == '/' || c == '.' || c == '\'';
        LOWER[c] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : (uint8_t)c;
    }
}

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(uint8_t c) { return c >= 'a' && c <= 'z'; }
static inline int is_strip(uint8_t c) { return c == '-' || c == '.' || c == '/' || c == '\''; }

/* ------------------------------------------------------------------------------------------ */
/* The gate object                                                                            */

#define FL_GROUP 1     /* 2 to 4 digits: a group an ID can be written in ("277 958 520") */
#define FL_IDHIT 2     /* a leaked ID */
#define FL_US 4        /* a numeric date that can only be month-first */
#define FL_EU 8        /* a numeric date that can only be day-first */
#define FL_INFO 16     /* has leak names or leak dates of birth */
#define FL_NONASCII 32
#define FL_DATE 64     /* a date the matcher reads as one (its F_DATE), numeric or with a month name */
#define FL_IDCERT 128  /* certainly shaped like the leak's IDs and ID-like to the matcher (six digits or more) */
#define FL_PARTICLE 256 /* exactly a name particle (normalize.RUN_PARTICLES): "de", "la" */
#define FL_LETTER 512  /* exactly one letter: with particles before it, one name ("de la o") */
#define FL_PYTHON 1024 /* an ASCII token whose reading Python decides too (glued fields, OCR, joins) */

#define MAX_TOKEN 64
#define MAX_RUN 16
#define MAX_PAIRS 200000
#define CACHE_MAX 1000000
#define MONTH_SLOTS 512
#define PARTICLE_SLOTS 128
#define MAX_PARTICLE_RUN 8 /* particles kept before a one-letter word; Python joins at most 4 of them */
#define LONG_LINE 60   /* the matcher cuts longer lines into windows (matcher.LONG_LINE) */

typedef struct {
    uint64_t key;        /* fast hash of the token bytes; 0 = empty slot */
    uint32_t off;        /* token bytes in the arena */
    uint16_t len;
    uint16_t flags;
    uint8_t month;
    uint32_t info;       /* start in the info pool: [n_names, n_dobs, names..., dobs...] */
    uint32_t doc_seen;   /* last document that counted this token (date order) */
    uint32_t unit_seen;  /* last unit that took its names and dates */
} Entry;

typedef struct {
    PyObject_HEAD
    uint64_t k_name[8], k_id[8], k_dob[8];
    Py_buffer name_vocab, id_vocab, dob_vocab, post_key, repeat_key;
    int have_buffers, have_repeat, has_id_role;
    int id_len_min, id_len_max, dob_lo, dob_hi, date_lo, date_hi;
    PyObject *fallback;
    struct { uint8_t len, month; char name[10]; } month_table[MONTH_SLOTS];
    struct { uint8_t len; char name[4]; } particle_table[PARTICLE_SLOTS];
    uint64_t seed;
    Entry *table;
    size_t cap, used;
    ByteVec arena;
    U64Vec pool;
    uint32_t doc_id, unit_id;
} Gate;

static int vocab_has(const Py_buffer *b, uint64_t x) {
    const uint64_t *a = (const uint64_t *)b->buf;
    Py_ssize_t lo = 0, hi = b->len / 8;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) >> 1;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < b->len / 8 && a[lo] == x;
}

/* The posting key of a name token with a date of birth (``keyed.mix``). */
static inline uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t x = (a ^ (b * 0xBF58476D1CE4E5B9ULL)) * 0x94D049BB133111EBULL;
    x ^= x >> 29;
    return x ? x : 1;
}

static inline uint64_t fast_hash(uint64_t seed, const uint8_t *s, size_t n) {
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ULL);
    while (n >= 8) {
        h = (h ^ load64(s)) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t last = 0;
    memcpy(&last, s, n);
    h = (h ^ last) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
    h *= 0x9E3779B97F4A7C15ULL;
    h ^= h >> 32;
    return h ? h : 1;
}

static void gate_clear_cache(Gate *g) {
    if (g->table) memset(g->table, 0, g->cap * sizeof(Entry));
    g->used = 0;
    g->arena.n = 0;
    g->pool.n = 0;
    u64_push(&g->pool, 0); /* info 0 means "no names, no dates" */
    u64_push(&g->pool, 0);
}

static int gate_grow(Gate *g) {
    size_t cap = g->cap ? g->cap * 2 : (1 << 16);
    Entry *t = PyMem_Calloc(cap, sizeof(Entry));
    if (!t) return -1;
    for (size_t i = 0; i < g->cap; i++) {
        Entry *e = &g->table[i];
        if (!e->key) continue;
        size_t j = e->key & (cap - 1);
        while (t[j].key) j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    PyMem_Free(g->table);
    g->table = t;
    g->cap = cap;
    return 0;
}

/* -- classification of one token ----------------------------------------------------------- */

#define MAX_INFO 16 /* names and dates of birth one token can be */

typedef struct {
    uint64_t names[MAX_INFO];
    int n_names;
    uint64_t dobs[MAX_INFO];
    int n_dobs;
    int flags;
    int month;
} Info;

static int days_in_month(int y, int m) {
    static const int d[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m];
}

/* Add the fingerprint of y-m-d if it is a valid date and a date of birth in the leak. */
static int add_date(Gate *g, Info *info, int y, int m, int d) {
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return 0;
    if ((y < g->dob_lo || y > g->dob_hi) && (y < g->date_lo || y > g->date_hi))
        return 1; /* a valid date, but the matcher does not look such years up (tokens.dob_hashes) */
    char iso[10] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
                    (char)('0' + y % 10), '-', (char)('0' + m / 10), (char)('0' + m % 10), '-',
                    (char)('0' + d / 10), (char)('0' + d % 10)};
    uint64_t h = b2_h64(g->k_dob, (const uint8_t *)iso, 10);
    if (vocab_has(&g->dob_vocab, h) && info->n_dobs < MAX_INFO) info->dobs[info->n_dobs++] = h;
    return 1;
}

/* ``normalize._years``: 4-digit years 1900-2100; 2-digit years in both centuries. */
static int years_of(const uint8_t *s, int n, int out[2]) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    if (n == 4) {
        if (v >= 1900 && v <= 2100) {
            out[0] = v;
            return 1;
        }
        return 0;
    }
    if (n == 2) {
        out[0] = 1900 + v;
        out[1] = 2000 + v;
        return 2;
    }
    return 0;
}

static int num(const uint8_t *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

static int digit_run(const uint8_t *s, int i, int n) {
    int j = i;
    while (j < n && is_digit(s[j])) j++;
    return j - i;
}

static unsigned month_slot(const uint8_t *s, int n) {
    unsigned h = (unsigned)n;
    for (int i = 0; i < n; i++) h = h * 31 + s[i];
    return h & (MONTH_SLOTS - 1);
}

/* The month a folded word names (``normalize.MONTHS``), or 0. */
static int month_of(Gate *g, const uint8_t *s, int n) {
    if (n < 3 || n > 10) return 0;
    for (unsigned j = month_slot(s, n);; j = (j + 1) & (MONTH_SLOTS - 1)) {
        if (!g->month_table[j].len) return 0;
        if (g->month_table[j].len == n && memcmp(g->month_table[j].name, s, (size_t)n) == 0)
            return g->month_table[j].month;
    }
}

static int fill_month_table(Gate *g, PyObject *months) {
    memset(g->month_table, 0, sizeof g->month_table);
    PyObject *k, *v;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(months, &pos, &k, &v)) {
        Py_ssize_t n;
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &n) : NULL;
        long m = PyLong_Check(v) ? PyLong_AsLong(v) : -1;
        if (!name || n < 3 || n > 10 || m < 1 || m > 12 || ++count > MONTH_SLOTS / 2) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "months must map 3- to 10-letter names to 1..12");
            return -1;
        }
        unsigned j = month_slot((const uint8_t *)name, (int)n);
        while (g->month_table[j].len) j = (j + 1) & (MONTH_SLOTS - 1);
        g->month_table[j].len = (uint8_t)n;
        g->month_table[j].month = (uint8_t)m;
        memcpy(g->month_table[j].name, name, (size_t)n);
    }
    return 0;
}

/* Whether the folded word s[0:n] is a name particle (the set Python passes, 2 to 4 letters). */
static int is_particle(Gate *g, const uint8_t *s, int n) {
    if (n < 2 || n > 4) return 0;
    for (unsigned j = month_slot(s, n) & (PARTICLE_SLOTS - 1);; j = (j + 1) & (PARTICLE_SLOTS - 1)) {
        if (!g->particle_table[j].len) return 0;
        if (g->particle_table[j].len == n && memcmp(g->particle_table[j].name, s, (size_t)n) == 0) return 1;
    }
}

static int fill_particle_table(Gate *g, PyObject *particles) {
    memset(g->particle_table, 0, sizeof g->particle_table);
    if (!particles) return 0;
    PyObject *seq = PySequence_Fast(particles, "particles must be a sequence of words");
    if (!seq) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *k = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t n;
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &n) : NULL;
        int ok = name && n >= 2 && n <= 4 && i < PARTICLE_SLOTS / 2;
        for (Py_ssize_t c = 0; ok && c < n; c++) ok = is_alpha((uint8_t)name[c]);
        if (!ok) {
            Py_DECREF(seq);
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "particles must be at most 64 words of 2 to 4 letters a-z");
            return -1;
        }
        unsigned j = month_slot((const uint8_t *)name, (int)n) & (PARTICLE_SLOTS - 1);
        while (g->particle_table[j].len) j = (j + 1) & (PARTICLE_SLOTS - 1);
        g->particle_table[j].len = (uint8_t)n;
        memcpy(g->particle_table[j].name, name, (size_t)n);
    }
    Py_DECREF(seq);
    return 0;
}

static inline int is_ocr(uint8_t c) { return c == 'o' || c == 'l' || c == 'i'; }
static inline int is_numish(uint8_t c) { return is_digit(c) || is_ocr(c); }

/* Whether Python's rules for tokens of letters and digits read this ASCII token: the same test
 * as ``tokens.mixed_eligible``. Digits and a letter past 'f' (never hex), nothing but letters,
 * digits and - / . ', at most 3 runs of letters other than o, l, i alone and 4 of digits, not a
 * 1- to 3-letter prefix glued to 4 digits or more (an ID, read here exactly); then a word of 3
 * letters or more (2 past 'f'; - and . only between letters) with one or two 0s and 1s in it, or
 * a number shaped like a date or an ID (3 digits
 * real, the others o, l, i; 5 or more with separators, or the leak's ID length, 5 to 8, without)
 * and a run of 2 letters or more, or of o, l, i alone, with a letter past 'f'. */
static int mixed_eligible(Gate *g, const uint8_t *t, int n) {
    int s = 0, e = n;
    while (s < e && is_strip(t[s])) s++;
    while (e > s && is_strip(t[e - 1])) e--;
    const uint8_t *c = t + s;
    int cn = e - s, i = 0;
    int letter_runs = 0, digit_runs = 0, letters = 0, digits = 0, wordish = 0, named = 0, name_digits = 1;
    int past_f = 0;
    while (i < cn) {
        if (is_alpha(c[i])) {
            int j = i, ocr = 1, word = 0;
            for (; j < cn && is_alpha(c[j]); j++) {
                ocr &= is_ocr(c[j]);
                word |= c[j] > 'f'; /* not hex */
                past_f += c[j] > 'f';
            }
            letter_runs += !ocr;
            letters += j - i;
            named |= word;
            wordish |= word && ((j - i >= 2) || ocr);
            i = j;
        } else if (is_digit(c[i])) {
            for (; i < cn && is_digit(c[i]); i++) {
                digits++;
                name_digits &= c[i] == '0' || c[i] == '1';
            }
            digit_runs++;
        } else if (is_strip(c[i])) {
            i++;
        } else {
            return 0;
        }
    }
    int k = 0;
    while (k < cn && is_alpha(c[k])) k++;
    if (k >= 1 && k <= 3 && cn - k >= 4 && digit_run(c, k, cn) == cn - k) return 0;
    if (!named || letter_runs > 3 || digit_runs < 1 || digit_runs > 4) return 0;
    if (name_digits && digits <= 2 && letters >= 3 && past_f >= 2) {
        int in_word = 1; /* every - and . between two letters, no / */
        for (i = 0; i < cn && in_word; i++)
            if (c[i] == '/' || ((c[i] == '-' || c[i] == '.') && !(i > 0 && i + 1 < cn && is_alpha(c[i - 1]) &&
                                                                 is_alpha(c[i + 1]))))
                in_word = 0;
        if (in_word) return 1;
    }
    if (!wordish) return 0;
    int long_run = g->id_len_min < 5 ? 5 : g->id_len_min > 8 ? 8 : g->id_len_min;
    for (i = 0; i < cn;) { /* [0-9oli]+([-/.][0-9oli]+)* */
        if (!is_numish(c[i])) {
            i++;
            continue;
        }
        int real = 0, chars = 0, seps = 0, j = i;
        for (;;) {
            for (; j < cn && is_numish(c[j]); j++) {
                real += is_digit(c[j]);
                chars++;
            }
            if (j + 1 < cn && (c[j] == '-' || c[j] == '/' || c[j] == '.') && is_numish(c[j + 1])) {
                j++;
                seps++;
            } else {
                break;
            }
        }
        if (real >= 3 && chars >= (seps ? 5 : long_run)) return 1;
        i = j;
    }
    return 0;
}

/* ``normalize.date_token`` on a folded core: numeric, compact and month-name dates. */
static void classify_dates(Gate *g, Info *info, const uint8_t *s, int n) {
    int a = digit_run(s, 0, n);
    int ys[2], ny;
    if (a >= 1 && a <= 4 && a < n && (s[a] == '-' || s[a] == '/' || s[a] == '.')) {
        int bi = a + 1, b = digit_run(s, bi, n);
        if (b >= 1 && b <= 2 && bi + b < n && (s[bi + b] == '-' || s[bi + b] == '/' || s[bi + b] == '.')) {
            int ci = bi + b + 1, c = digit_run(s, ci, n);
            if (c >= 1 && c <= 4 && (ci + c == n || s[ci + c] == 't')) {
                int found = 0;
                int A = num(s, a), B = num(s + bi, b);
                if (a == 4) {
                    ny = years_of(s, 4, ys);
                    for (int k = 0; k < ny; k++) found |= add_date(g, info, ys[k], B, num(s + ci, c));
                } else if ((c == 2 || c == 4) && a <= 2) {
                    ny = years_of(s + ci, c, ys);
                    for (int k = 0; k < ny; k++) {
                        found |= add_date(g, info, ys[k], A, B);
                        found |= add_date(g, info, ys[k], B, A);
                    }
                }
                int tail = ci + c;
                int plain = tail == n || (s[tail] == 't' && digit_run(s, tail + 1, n) >= 1 &&
                                          digit_run(s, tail + 1, n) <= 2 && tail + 1 + digit_run(s, tail + 1, n) == n);
                if (found && plain) info->flags |= FL_DATE;
                if (found && plain && a <= 2 && c >= 2) {
                    if (B > 12 && A <= 12) info->flags |= FL_US;
                    else if (A > 12 && B <= 12) info->flags |= FL_EU;
                }
                return;
            }
        }
    }
    if (n == 8 && a == 8 && ((s[0] == '1' && s[1] == '9') || (s[0] == '2' && s[1] == '0'))) {
        if (add_date(g, info, num(s, 4), num(s + 4, 2), num(s + 6, 2))) info->flags |= FL_DATE;
        return;
    }
    /* (\d{1,2})[-/. ]?([a-z]{3,10})\.?[-/. ]?(\d{2,4}) */
    if (a >= 1 && a <= 2) {
        int i = a;
        if (i < n && (s[i] == '-' || s[i] == '/' || s[i] == '.')) i++;
        int ls = i;
        while (i < n && is_alpha(s[i])) i++;
        int ln = i - ls;
        if (ln >= 3 && ln <= 10) {
            if (i < n && s[i] == '.') i++;
            if (i < n && (s[i] == '-' || s[i] == '/' || s[i] == '.')) i++;
            int y = digit_run(s, i, n);
            if (y >= 2 && y <= 4 && i + y == n) {
                int m = month_of(g, s + ls, ln);
                if (m) {
                    ny = years_of(s + i, y, ys);
                    for (int k = 0; k < ny; k++)
                        if (add_date(g, info, ys[k], m, num(s, a))) info->flags |= FL_DATE;
                }
            }
        }
    }
}

/* ``normalize.normalize_id`` on an ASCII core, then the leak's ID vocabulary. */
static void classify_id(Gate *g, Info *info, const uint8_t *s, int n) {
    uint8_t c[MAX_TOKEN];
    int m = 0, digits = 0;
    for (int i = 0; i < n; i++)
        if (is_digit(s[i]) || is_alpha(s[i])) {
            c[m++] = s[i];
            digits += is_digit(s[i]);
        }
    if (!m || !digits) return;
    const uint8_t *p = c;
    int len = m;
    if (is_alpha(c[0])) {
        int k = 0;
        while (k < m && is_alpha(c[k])) k++;
        if (k <= 3 && digit_run(c, k, m) == m - k) {
            p = c + k;
            len = m - k;
        }
    }
    if (digit_run(p, 0, len) == len)
        while (len && *p == '0') {
            p++;
            len--;
        }
    if (len < 4 || len < g->id_len_min || len > g->id_len_max) return;
    uint64_t h = b2_h64(g->k_id, p, (size_t)len);
    if (vocab_has(&g->id_vocab, h)) info->flags |= FL_IDHIT;
}

/* Whether the matcher certainly flags the token F_IDSHAPE and F_IDLIKE: a plain number, or a
 * number behind a one- to three-letter prefix, of six digits or more in the leak's ID lengths. */
static void id_certainty(Gate *g, Info *info, const uint8_t *t, int n, const uint8_t *core, int cn) {
    const uint8_t *d;
    int dn;
    if (digit_run(t, 0, n) == n) {
        if (info->flags & FL_DATE) return; /* "19880314" is a date to the matcher, not an ID */
        d = t;
        dn = n;
    } else {
        int k = 0;
        while (k < cn && is_alpha(core[k])) k++;
        if (k < 1 || k > 3 || digit_run(core, k, cn) != cn - k || cn - k < 4) return;
        d = core + k;
        dn = cn - k;
    }
    while (dn && *d == '0') {
        d++;
        dn--;
    }
    if (dn >= 6 && dn >= g->id_len_min && dn <= g->id_len_max) info->flags |= FL_IDCERT;
}

static void classify_ascii(Gate *g, Info *info, const uint8_t *t, int n) {
    int s = 0, e = n;
    while (s < e && is_strip(t[s])) s++;
    while (e > s && is_strip(t[e - 1])) e--;
    const uint8_t *core = t + s;
    int cn = e - s;
    if (!cn) return;
    int digits = 0, slash = 0;
    for (int i = 0; i < cn; i++) {
        digits += is_digit(core[i]);
        slash |= core[i] == '/';
    }
    if (digits) {
        classify_id(g, info, core, cn);
        classify_dates(g, info, core, cn);
        id_certainty(g, info, t, n, core, cn);
        return;
    }
    int cm = cn;
    if (cm && core[cm - 1] == '.') cm--;
    int alpha_only = 1;
    for (int i = 0; i < cm; i++) alpha_only &= is_alpha(core[i]);
    if (alpha_only) info->month = month_of(g, core, cm);
    if (cn == n && alpha_only && cm == cn) { /* the whole token is one word */
        if (n == 1) info->flags |= FL_LETTER;
        else if (is_particle(g, core, cn)) info->flags |= FL_PARTICLE;
    }
    if (slash) return;
    /* name parts: apostrophes dropped, split on anything else */
    uint8_t part[MAX_TOKEN];
    int pn = 0, prev_particle = 0;
    for (int i = 0; i <= cn; i++) {
        uint8_t ch = i < cn ? core[i] : ' ';
        if (ch == '\'') continue;
        if (is_alpha(ch)) {
            part[pn++] = ch;
            continue;
        }
        if (pn >= 2) {
            uint64_t h = b2_h64(g->k_name, part, (size_t)pn);
            if (vocab_has(&g->name_vocab, h) && info->n_names < MAX_INFO) info->names[info->n_names++] = h;
        }
        /* a one-letter part after a particle ("de-la-o"): Python joins them into one name */
        if (pn == 1 && prev_particle) info->flags |= FL_PYTHON;
        if (pn) prev_particle = is_particle(g, part, pn);
        pn = 0;
    }
}

/* A token with non-ASCII bytes: Python's own classification (Unicode folding) decides. */
static int classify_fallback(Gate *g, Info *info, const uint8_t *t, int n) {
    PyObject *r = PyObject_CallFunction(g->fallback, "y#", (const char *)t, (Py_ssize_t)n);
    if (!r) return -1;
    if (r == Py_None) {
        Py_DECREF(r);
        return 0;
    }
    PyObject *names, *dobs;
    int idhit, month, order;
    if (!PyArg_ParseTuple(r, "OpOii", &names, &idhit, &dobs, &month, &order)) {
        Py_DECREF(r);
        return -1;
    }
    PyObject *seqs[2] = {names, dobs};
    for (int k = 0; k < 2; k++) {
        PyObject *it = PyObject_GetIter(seqs[k]), *x;
        if (!it) {
            Py_DECREF(r);
            return -1;
        }
        while ((x = PyIter_Next(it))) {
            uint64_t v = PyLong_AsUnsignedLongLong(x);
            Py_DECREF(x);
            uint64_t *have = k == 0 ? info->names : info->dobs;
            int *count = k == 0 ? &info->n_names : &info->n_dobs, seen = 0;
            for (int q = 0; q < *count; q++) seen |= have[q] == v; /* this module's own reading too */
            if (!seen && *count < MAX_INFO) have[(*count)++] = v;
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) {
            Py_DECREF(r);
            return -1;
        }
    }
    if (idhit) info->flags |= FL_IDHIT;
    if (month) info->month = month;
    info->flags |= order & (FL_US | FL_EU);
    Py_DECREF(r);
    return 0;
}

/* The cache entry of a raw token (lower-cased when ASCII), classifying it on first sight: by
 * Python (``nonascii`` 1: non-ASCII bytes, or a token this module made), or here and, for the
 * ASCII tokens whose reading Python's rules extend (FL_PYTHON; ``nonascii`` 2 asks for it), by
 * Python too: names, dates and IDs of both, the flags of this module's exact reading. */
static Entry *lookup(Gate *g, const uint8_t *t, int n, int nonascii) {
    uint64_t key = fast_hash(g->seed, t, (size_t)n);
    size_t mask = g->cap - 1, j = key & mask;
    while (g->table[j].key) {
        Entry *e = &g->table[j];
        if (e->key == key && e->len == n && memcmp(g->arena.v + e->off, t, (size_t)n) == 0) return e;
        j = (j + 1) & mask;
    }
    Info info;
    memset(&info, 0, sizeof info);
    if (nonascii == 1) {
        if (classify_fallback(g, &info, t, n) < 0) return NULL;
        info.flags |= FL_NONASCII;
    } else {
        classify_ascii(g, &info, t, n);
        if (n >= 2 && n <= 4 && digit_run(t, 0, n) == n) info.flags |= FL_GROUP;
        if (nonascii == 2) info.flags |= FL_PYTHON;
        if ((info.flags & FL_PYTHON) && classify_fallback(g, &info, t, n) < 0) return NULL;
    }
    if (g->used * 2 >= g->cap || g->arena.n > 0x7fffffff) {
        if (g->used >= CACHE_MAX || g->arena.n > 0x7fffffff) gate_clear_cache(g);
        else if (gate_grow(g) < 0) return (Entry *)PyErr_NoMemory();
        mask = g->cap - 1;
        j = key & mask;
        while (g->table[j].key) j = (j + 1) & mask;
    }
    Entry *e = &g->table[j];
    memset(e, 0, sizeof *e);
    e->key = key;
    e->off = (uint32_t)g->arena.n;
    e->len = (uint16_t)n;
    if (bytes_put(&g->arena, (const char *)t, (size_t)n) < 0) return (Entry *)PyErr_NoMemory();
    e->flags = (uint16_t)info.flags;
    e->month = (uint8_t)info.month;
    if (info.n_names || info.n_dobs) {
        e->flags |= FL_INFO;
        e->info = (uint32_t)g->pool.n;
        u64_push(&g->pool, (uint64_t)info.n_names);
        u64_push(&g->pool, (uint64_t)info.n_dobs);
        for (int k = 0; k < info.n_names; k++) u64_push(&g->pool, info.names[k]);
        for (int k = 0; k < info.n_dobs; k++) u64_push(&g->pool, info.dobs[k]);
    }
    g->used++;
    return e;
}

/* -- scanning -------------------------------------------------------------------------------- */

typedef struct {
    U64Vec names, dobs;            /* of the current unit */
    U64Vec pnames, pdobs;          /* of the previous unit */
    int has_month;
    int hit;                       /* the current unit holds a possible record */
    int ntok, has_date, has_idcert, merged, has_number;  /* of the current unit */
    int exact;                     /* the current unit is exactly one line of the matcher's */
    int prev_exact, prev_has_date; /* of the previous unit that held a token */
    Py_ssize_t prev_index;         /* its index, or -1 */
    ByteVec filled;                /* per unit: whether it held a token */
    uint8_t run[MAX_RUN][4];
    uint8_t run_len[MAX_RUN];
    int run_n;
    SizeVec starts;                /* start offset of each unit */
    SizeVec hits;                  /* indexes of units with possible records */
    long pairs;
    int gave_up;
    /* the particles just before the current token ("de", "la"), and whether something other
     * than white space or a quote came after the last token (a run of them ends there) */
    uint8_t prun[MAX_PARTICLE_RUN][4];
    uint8_t prun_len[MAX_PARTICLE_RUN];
    int prun_n, sep_break;
} Scan;

static void scan_free(Scan *s) {
    PyMem_Free(s->names.v);
    PyMem_Free(s->dobs.v);
    PyMem_Free(s->pnames.v);
    PyMem_Free(s->pdobs.v);
    PyMem_Free(s->starts.v);
    PyMem_Free(s->hits.v);
    PyMem_Free(s->filled.v);
}

static int posting_has(Gate *g, uint64_t key) { return vocab_has(&g->post_key, key); }

/* Whether any name x date pair of the two sets is a posting key of the leak. */
static int pairs_hit(Gate *g, Scan *s, const U64Vec *names, const U64Vec *dobs) {
    if (!names->n || !dobs->n) return 0;
    s->pairs += (long)(names->n * dobs->n);
    if (s->pairs > MAX_PAIRS) {
        s->gave_up = 1;
        return 1;
    }
    for (size_t i = 0; i < names->n; i++)
        for (size_t j = 0; j < dobs->n; j++)
            if (posting_has(g, mix(names->v[i], dobs->v[j]))) return 1;
    return 0;
}

/* A run of digit groups ended: do any of its consecutive groups, joined, make a leaked ID? */
static void end_run(Gate *g, Scan *s) {
    int n = s->run_n;
    s->run_n = 0;
    if (n < 2 || s->hit) return;
    uint8_t buf[MAX_RUN * 4];
    for (int i = 0; i < n; i++) {
        int len = 0;
        for (int j = i; j < n; j++) {
            memcpy(buf + len, s->run[j], s->run_len[j]);
            len += s->run_len[j];
            if (j == i) continue;
            const uint8_t *p = buf;
            int m = len;
            while (m && *p == '0') {
                p++;
                m--;
            }
            if (m > g->id_len_max) break;
            if (m < 4 || m < g->id_len_min) continue;
            if (vocab_has(&g->id_vocab, b2_h64(g->k_id, p, (size_t)m))) {
                s->hit = 1;
                return;
            }
        }
    }
}

/* Dates written with month names near each month-name atom of the unit (``text_dates``). */
typedef struct { int kind, val, nd; const uint8_t *ptr; } Atom; /* kind 1: number, 2: month name */

static int atom_push(Atom **atoms, size_t *cap, int *na, int kind, int val, int nd, const uint8_t *ptr) {
    if (vec_reserve((void **)atoms, cap, (size_t)*na + 1, sizeof(Atom), 256) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    (*atoms)[*na] = (Atom){kind, val, nd, ptr};
    (*na)++;
    return 0;
}

/* Dates written with month names in the unit buf[start:end] (what ``text_dates`` finds, and
 * more): each month name with a day number near it and a year number near it. */
static int month_dates(Gate *g, Scan *s, const uint8_t *buf, Py_ssize_t start, Py_ssize_t end) {
    /* on the heap, not static: a Python fallback can release the GIL to another thread */
    Atom *atoms = NULL;
    size_t cap = 0;
    int na = 0, rc = 0;
    Py_ssize_t p = start;
    while (p < end && rc == 0) {
        if (!TOKEN_CHAR[buf[p]]) {
            p++;
            continue;
        }
        Py_ssize_t q = p;
        int nonascii = 0;
        while (q < end && TOKEN_CHAR[buf[q]]) nonascii |= buf[q++] >= 0x80;
        const uint8_t *t = buf + p;
        Py_ssize_t n = q - p;
        p = q;
        if (nonascii && n <= MAX_TOKEN) { /* a month name with accents: the matcher's folding says */
            Entry *e = lookup(g, t, (int)n, 1);
            if (!e || (e->month && atom_push(&atoms, &cap, &na, 2, e->month, 0, t) < 0)) {
                rc = -1;
                break;
            }
        }
        Py_ssize_t i = 0;
        while (i < n) { /* the ASCII runs of digits and letters, in any token */
            uint8_t c = LOWER[t[i]];
            Py_ssize_t j = i;
            if (is_digit(c)) {
                while (j < n && is_digit(t[j])) j++;
                int nd = (int)(j - i);
                rc = atom_push(&atoms, &cap, &na, 1, nd <= 4 ? num(t + i, nd) : -1, nd, t + i);
            } else if (is_alpha(c)) {
                uint8_t low[16];
                while (j < n && is_alpha(LOWER[t[j]])) {
                    if (j - i < 16) low[j - i] = LOWER[t[j]];
                    j++;
                }
                int m = (j - i <= 10) ? month_of(g, low, (int)(j - i)) : 0;
                rc = atom_push(&atoms, &cap, &na, m ? 2 : 0, m, 0, t + i);
            } else {
                j++;
            }
            if (rc < 0) break;
            i = j;
        }
    }
    Info info;
    memset(&info, 0, sizeof info);
    for (int k = 0; k < na && rc == 0; k++) {
        if (atoms[k].kind != 2) continue;
        for (int d = k - 3; d <= k + 3; d++) {
            if (d < 0 || d >= na || atoms[d].kind != 1 || atoms[d].nd > 2 || atoms[d].val < 1 || atoms[d].val > 31) continue;
            for (int y = k - 4; y <= k + 4; y++) {
                if (y < 0 || y >= na || y == d || atoms[y].kind != 1 || (atoms[y].nd != 2 && atoms[y].nd != 4)) continue;
                int ys[2];
                int ny = years_of(atoms[y].ptr, atoms[y].nd, ys);
                for (int q = 0; q < ny; q++) {
                    info.n_dobs = 0;
                    add_date(g, &info, ys[q], atoms[k].val, atoms[d].val);
                    if (info.n_dobs && u64_push(&s->dobs, info.dobs[0]) < 0) rc = -1;
                }
            }
        }
    }
    PyMem_Free(atoms);
    return rc;
}

/* Whether, for some date of birth of the unit, two of its distinct name tokens (or one that a
 * record holds in two name columns) make posting keys. On a line that holds a number shaped like
 * the leak's IDs but no leaked ID, the matcher counts that number as a conflict and then accepts
 * a record only with its birth date and two exactly spelled name columns. */
static int two_names_hit(Gate *g, Scan *s) {
    U64Vec *names = &s->names, *dobs = &s->dobs;
    if (names->n < 1 || !dobs->n) return 0;
    s->pairs += (long)(names->n * dobs->n);
    if (s->pairs > MAX_PAIRS) {
        s->gave_up = 1;
        return 1;
    }
    for (size_t j = 0; j < dobs->n; j++) {
        int count = 0;
        for (size_t i = 0; i < names->n; i++) {
            int seen = 0;
            for (size_t k = 0; k < i; k++) seen |= names->v[k] == names->v[i];
            if (seen) continue;
            uint64_t key = mix(names->v[i], dobs->v[j]);
            if (!posting_has(g, key)) continue;
            count += g->have_repeat && vocab_has(&g->repeat_key, key) ? 2 : 1;
            if (count >= 2) return 1;
        }
    }
    return 0;
}

/* ``index.posting_key_name_pair``: two name tokens of one record, in either order. */
#define PAIR_TAG 0x9A1B9A1B9A1B9A1BULL

/* Whether two distinct name tokens of the unit are two names of one record (a names-only row). */
static int name_pair_hit(Gate *g, Scan *s) {
    U64Vec *names = &s->names;
    if (names->n < 2) return 0;
    s->pairs += (long)(names->n * names->n / 2);
    if (s->pairs > MAX_PAIRS) {
        s->gave_up = 1;
        return 1;
    }
    for (size_t i = 0; i < names->n; i++)
        for (size_t j = i + 1; j < names->n; j++) {
            uint64_t a = names->v[i], b = names->v[j];
            if (a == b) continue;
            if (posting_has(g, mix(mix(a < b ? a : b, a < b ? b : a), PAIR_TAG))) return 1;
        }
    return 0;
}

/* The next unit starts with nothing of its own. */
static void next_unit(Gate *g, Scan *s) {
    s->names.n = s->dobs.n = 0;
    s->prun_n = s->sep_break = 0;
    s->has_month = s->hit = s->merged = s->exact = 0;
    s->ntok = s->has_date = s->has_idcert = s->has_number = 0;
    g->unit_id++;
}

static int end_unit(Gate *g, Scan *s, const uint8_t *buf, Py_ssize_t end) {
    end_run(g, s);
    Py_ssize_t u = (Py_ssize_t)s->starts.n - 1;
    int filled = s->ntok > 0;
    if (bytes_put(&s->filled, filled ? "\1" : "\0", 1) < 0) return -1;
    if (!filled) { /* blank lines neither hold records nor separate neighbours */
        next_unit(g, s);
        return 0;
    }
    if (s->has_month && s->has_number && !s->hit && month_dates(g, s, buf, s->starts.v[s->starts.n - 1], end) < 0) return -1;
    int exact = s->exact && !s->merged && s->ntok <= LONG_LINE;
    int prev_part = 0;
    if (!s->hit) {
        /* On an exact line with an ID-shaped number that is not leaked, the matcher takes a record
         * only with its birth date and whole name (two_names_hit); elsewhere a name with a birth
         * date, or two names of one record, make the line a candidate. */
        if (exact && g->has_id_role && s->has_idcert ? two_names_hit(g, s)
                                                     : pairs_hit(g, s, &s->names, &s->dobs) || name_pair_hit(g, s))
            s->hit = 1;
        else if (s->prev_index >= 0) {
            /* A row wrapped onto two lines: a line with names and no date borrows the dates of a
             * neighbour without names (and the other way round). On units that are exactly the
             * matcher's lines, only then; elsewhere, always. */
            int both = exact && s->prev_exact;
            int here = !both || (s->names.n && !s->has_date && !s->pnames.n);
            int there = !both || (s->pnames.n && !s->prev_has_date && !s->names.n);
            if ((here && pairs_hit(g, s, &s->names, &s->pdobs)) || (there && pairs_hit(g, s, &s->pnames, &s->dobs))) {
                s->hit = 1;
                prev_part = 1;
            }
        }
    }
    if (s->hit) {
        if (prev_part && (!s->hits.n || s->hits.v[s->hits.n - 1] != s->prev_index))
            if (size_push(&s->hits, s->prev_index) < 0) return -1;
        if (size_push(&s->hits, u) < 0) return -1;
    }
    /* the current unit becomes the previous one */
    U64Vec t = s->pnames;
    s->pnames = s->names;
    s->names = t;
    t = s->pdobs;
    s->pdobs = s->dobs;
    s->dobs = t;
    s->prev_index = u;
    s->prev_exact = exact;
    s->prev_has_date = s->has_date;
    next_unit(g, s);
    return 0;
}

/* Particles then a one-letter word ("De La O"): the matcher reads them as one token
 * (``tokens.join_particle_runs`` writes "de-la-o" where one space separates them; here any white
 * space or quote may, a superset), whose names Python's classification says. The matcher's run
 * may start at any of these particles (two spaces or a tab before it end an earlier run there):
 * every run that ends at the letter is looked up ("de-la-o", "la-o"). */
static int particle_join(Gate *g, Scan *s, uint8_t letter) {
    uint8_t buf[MAX_PARTICLE_RUN * 5 + 1];
    for (int first = 0; first < s->prun_n; first++) {
        int m = 0;
        for (int k = first; k < s->prun_n; k++) {
            memcpy(buf + m, s->prun[k], s->prun_len[k]);
            m += s->prun_len[k];
            buf[m++] = '-';
        }
        buf[m++] = letter;
        Entry *e = lookup(g, buf, m, 1);
        if (!e) return -1;
        if ((e->flags & FL_INFO) && e->unit_seen != g->unit_id) {
            e->unit_seen = g->unit_id;
            const uint64_t *p = g->pool.v + e->info;
            for (uint64_t k = 0; k < p[0]; k++)
                if (u64_push(&s->names, p[2 + k]) < 0) return -1;
        }
    }
    return 0;
}

/* Scan text: units end at newlines (not inside a quoted CSV field when ``quotes``), or
 * never (``whole``). Returns 0 or -1 with a Python error set. */
static int scan_text(Gate *g, Scan *s, const uint8_t *buf, Py_ssize_t n, int quotes, int whole, long *us,
                     long *eu) {
    uint8_t tok[MAX_TOKEN];
    int in_quote = 0, field_start = 1;
    g->doc_id++;
    g->unit_id++;
    if (size_push(&s->starts, 0) < 0) return -1;
    s->prev_index = -1;
    /* Units are exactly one of the matcher's lines unless a quoted field or a lone carriage
     * return joins or splits them (``merged``): the text is the extractor's (HTML), or laid
     * out by it line for line (CSV, plain text). */
    s->exact = !whole;
    Py_ssize_t i = 0;
    while (i < n) {
        uint8_t c = buf[i];
        if (!TOKEN_CHAR[c]) {
            if (c == '\n') {
                if (!whole && !in_quote) {
                    if (end_unit(g, s, buf, i) < 0) return -1;
                    if (size_push(&s->starts, i + 1) < 0) return -1;
                    s->exact = 1;
                } else {
                    s->merged = 1;
                }
                field_start = 1;
            } else if (c == '\r' && !(i + 1 < n && buf[i + 1] == '\n')) {
                s->merged = 1;
                field_start = 1;
            } else if (quotes && c == '"') {
                if (in_quote) {
                    if (i + 1 < n && buf[i + 1] == '"') i++;
                    else in_quote = 0;
                } else if (field_start) {
                    in_quote = 1;
                }
                field_start = 0;
            } else {
                field_start = (c == ',' || c == ';' || c == '\t' || c == '|');
            }
            if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '"'))
                s->sep_break = 1;
            i++;
            continue;
        }
        field_start = 0;
        s->ntok++;
        Py_ssize_t j = i;
        int nonascii = 0, len = 0, digits = 0;
        while (j < n && TOKEN_CHAR[buf[j]]) {
            uint8_t ch = buf[j];
            nonascii |= ch >= 0x80;
            digits += is_digit(ch);
            if (len < MAX_TOKEN) tok[len] = LOWER[ch];
            len++;
            j++;
        }
        if (len > MAX_TOKEN) {
            /* too long to be a name, a date or an ID: not classified (the matcher agrees) */
            end_run(g, s);
            s->prun_n = 0;
            i = j;
            continue;
        }
        int flags, month;
        const uint64_t *names = NULL, *dobs = NULL;
        size_t nn = 0, nd = 0;
        Info direct;
        s->has_number |= digits > 0;
        if (!nonascii && digits && digits < len && mixed_eligible(g, tok, len)) {
            nonascii = 2; /* letters and digits that Python's rules read too: cached, like words */
        }
        if (!nonascii && digits) {
            /* Numbers, dates, hex, addresses: mostly seen once, so classified on the spot
             * rather than cached (a cache of them would crowd out the words that recur). */
            direct.n_names = direct.n_dobs = direct.flags = direct.month = 0;
            if (digits == len && len <= 4) {
                if (len == 4 && g->id_len_min <= 4) classify_ascii(g, &direct, tok, len);
                if (len >= 2) direct.flags |= FL_GROUP;
            } else {
                classify_ascii(g, &direct, tok, len);
            }
            flags = direct.flags;
            month = 0;
            dobs = direct.dobs;
            nd = (size_t)direct.n_dobs;
            if (flags & (FL_US | FL_EU)) { /* the date order counts distinct tokens: remember it */
                Entry *e = lookup(g, tok, len, 0);
                if (!e) return -1;
                if (e->doc_seen != g->doc_id) {
                    e->doc_seen = g->doc_id;
                    if (flags & FL_US) (*us)++;
                    if (flags & FL_EU) (*eu)++;
                }
            }
        } else {
            Entry *e = lookup(g, tok, len, nonascii);
            if (!e) return -1;
            flags = e->flags;
            month = e->month;
            if (e->doc_seen != g->doc_id) {
                e->doc_seen = g->doc_id;
                if (flags & FL_US) (*us)++;
                if (flags & FL_EU) (*eu)++;
            }
            if ((flags & FL_INFO) && e->unit_seen != g->unit_id) {
                e->unit_seen = g->unit_id;
                const uint64_t *p = g->pool.v + e->info;
                nn = (size_t)p[0];
                nd = (size_t)p[1];
                names = p + 2;
                dobs = p + 2 + nn;
            }
        }
        if (flags & FL_LETTER) {
            if (s->prun_n && !s->sep_break && particle_join(g, s, tok[0]) < 0) return -1;
            s->prun_n = 0;
        } else if (flags & FL_PARTICLE) {
            if (s->sep_break) s->prun_n = 0;
            if (s->prun_n == MAX_PARTICLE_RUN) { /* Python joins the last few: keep the last ones */
                memmove(s->prun[0], s->prun[1], sizeof(s->prun[0]) * (MAX_PARTICLE_RUN - 1));
                memmove(s->prun_len, s->prun_len + 1, MAX_PARTICLE_RUN - 1);
                s->prun_n--;
            }
            memcpy(s->prun[s->prun_n], tok, (size_t)len);
            s->prun_len[s->prun_n++] = (uint8_t)len;
        } else {
            s->prun_n = 0;
        }
        s->sep_break = 0;
        if (flags & FL_IDHIT) s->hit = 1;
        s->has_date |= flags & FL_DATE;
        s->has_idcert |= flags & FL_IDCERT;
        if (flags & FL_GROUP) {
            if (s->run_n == MAX_RUN) { /* keep the last groups: a long run of small numbers */
                memmove(s->run[0], s->run[1], sizeof(s->run[0]) * (MAX_RUN - 1));
                memmove(s->run_len, s->run_len + 1, MAX_RUN - 1);
                s->run_n--;
            }
            memcpy(s->run[s->run_n], tok, (size_t)len);
            s->run_len[s->run_n++] = (uint8_t)len;
        } else {
            end_run(g, s);
        }
        if (month) s->has_month = 1;
        for (size_t k = 0; k < nn; k++)
            if (u64_push(&s->names, names[k]) < 0) return -1;
        for (size_t k = 0; k < nd; k++)
            if (u64_push(&s->dobs, dobs[k]) < 0) return -1;
        i = j;
    }
    if (end_unit(g, s, buf, n) < 0) return -1;
    return 0;
}

/* Gate.scan(text: bytes, mode: int) -> None | (order, [(start, end), ...])
 * mode 0: lines; 1: lines, quoted CSV fields may span lines; 2: one unit (the whole text). */
static PyObject *Gate_scan(Gate *g, PyObject *args) {
    Py_buffer data;
    int mode = 0;
    if (!PyArg_ParseTuple(args, "y*|i", &data, &mode)) return NULL;
    Scan s;
    memset(&s, 0, sizeof s);
    long us = 0, eu = 0;
    PyObject *result = NULL;
    const uint8_t *buf = (const uint8_t *)data.buf;
    Py_ssize_t n = data.len;
    if (scan_text(g, &s, buf, n, mode == 1, mode == 2, &us, &eu) < 0) goto done;
    if (!s.hits.n) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    int order = (us && eu) ? 0 : us >= 2 ? 1 : eu >= 2 ? 2 : 0;
    result = PyTuple_New(3);
    PyObject *ranges = PyList_New(0);
    if (!result || !ranges) {
        Py_XDECREF(ranges);
        Py_CLEAR(result);
        goto done;
    }
    PyTuple_SET_ITEM(result, 0, PyLong_FromLong(order));
    PyTuple_SET_ITEM(result, 1, ranges);
    PyTuple_SET_ITEM(result, 2, PyBool_FromLong(s.gave_up));
    Py_ssize_t nu = (Py_ssize_t)s.starts.n;
    Py_ssize_t cur_a = -1, cur_b = -1;
    for (size_t k = 0; k <= s.hits.n; k++) {
        Py_ssize_t a = -1, b = -1;
        if (k < s.hits.n) {
            Py_ssize_t u = s.hits.v[k];
            /* the neighbours: the nearest units on either side that hold tokens */
            a = u - 1;
            while (a > 0 && !s.filled.v[a]) a--;
            if (a < 0) a = 0;
            b = u + 1;
            while (b < nu - 1 && !s.filled.v[b]) b++;
            if (b > nu - 1) b = nu - 1;
            if (cur_a >= 0 && a <= cur_b + 1) {
                if (b > cur_b) cur_b = b;
                continue;
            }
        }
        if (cur_a >= 0) {
            Py_ssize_t start = s.starts.v[cur_a];
            Py_ssize_t end = cur_b + 1 < nu ? s.starts.v[cur_b + 1] : n;
            PyObject *pair = Py_BuildValue("(nn)", start, end);
            if (!pair || PyList_Append(ranges, pair) < 0) {
                Py_XDECREF(pair);
                Py_CLEAR(result);
                goto done;
            }
            Py_DECREF(pair);
        }
        cur_a = a;
        cur_b = b;
    }
done:
    scan_free(&s);
    PyBuffer_Release(&data);
    return result;
}

static PyObject *Gate_h64(Gate *g, PyObject *args) {
    const char *domain;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "sy*", &domain, &data)) return NULL;
    uint64_t *k = strcmp(domain, "name") == 0 ? g->k_name : strcmp(domain, "id") == 0 ? g->k_id
                : strcmp(domain, "dob") == 0 ? g->k_dob : NULL;
    if (!k || data.len == 0) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "domain must be name, id or dob and the value non-empty");
        return NULL;
    }
    uint64_t h = b2_h64(k, (const uint8_t *)data.buf, (size_t)data.len);
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLongLong(h);
}

static PyObject *Gate_cache_size(Gate *g, PyObject *Py_UNUSED(ignored)) { return PyLong_FromSize_t(g->used); }

static int Gate_init(Gate *g, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"key", "name_vocab", "id_vocab", "dob_vocab", "post_key", "months",
                             "id_len", "dob_years", "date_years", "fallback", "repeat_key", "has_id_role",
                             "seed", "particles", NULL};
    Py_buffer key;
    PyObject *nv, *iv, *dv, *pk, *months, *fallback, *rk, *particles = NULL;
    int id_min, id_max, lo, hi, lo2, hi2, has_id_role;
    unsigned long long seed = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*OOOOO!(ii)(ii)(ii)OOp|KO", kwlist, &key, &nv, &iv, &dv, &pk,
                                     &PyDict_Type, &months, &id_min, &id_max, &lo, &hi, &lo2, &hi2, &fallback,
                                     &rk, &has_id_role, &seed, &particles))
        return -1;
    if (key.len < 16 || key.len > 64) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "the key must be 16 to 64 bytes");
        return -1;
    }
    b2_keyed_init(g->k_name, key.buf, (size_t)key.len, "name");
    b2_keyed_init(g->k_id, key.buf, (size_t)key.len, "id");
    b2_keyed_init(g->k_dob, key.buf, (size_t)key.len, "dob");
    PyBuffer_Release(&key);
    if (g->have_buffers) {
        PyBuffer_Release(&g->name_vocab);
        PyBuffer_Release(&g->id_vocab);
        PyBuffer_Release(&g->dob_vocab);
        PyBuffer_Release(&g->post_key);
        g->have_buffers = 0;
    }
    if (g->have_repeat) {
        PyBuffer_Release(&g->repeat_key);
        g->have_repeat = 0;
    }
    if (PyObject_GetBuffer(rk, &g->repeat_key, PyBUF_SIMPLE) < 0) return -1;
    g->have_repeat = 1;
    g->has_id_role = has_id_role;
    if (PyObject_GetBuffer(nv, &g->name_vocab, PyBUF_SIMPLE) < 0) return -1;
    if (PyObject_GetBuffer(iv, &g->id_vocab, PyBUF_SIMPLE) < 0) goto fail1;
    if (PyObject_GetBuffer(dv, &g->dob_vocab, PyBUF_SIMPLE) < 0) goto fail2;
    if (PyObject_GetBuffer(pk, &g->post_key, PyBUF_SIMPLE) < 0) goto fail3;
    g->have_buffers = 1;
    g->id_len_min = id_min;
    g->id_len_max = id_max > MAX_TOKEN ? MAX_TOKEN : id_max;
    g->dob_lo = lo;
    g->dob_hi = hi;
    g->date_lo = lo2;
    g->date_hi = hi2;
    if (fill_month_table(g, months) < 0 || fill_particle_table(g, particles) < 0) return -1;
    Py_INCREF(fallback);
    Py_XSETREF(g->fallback, fallback);
    g->seed = seed ? (uint64_t)seed : 0x2545F4914F6CDD1DULL;
    if (!g->table && gate_grow(g) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    gate_clear_cache(g);
    return 0;
fail3:
    PyBuffer_Release(&g->dob_vocab);
fail2:
    PyBuffer_Release(&g->id_vocab);
fail1:
    PyBuffer_Release(&g->name_vocab);
    return -1;
}

static void Gate_dealloc(Gate *g) {
    if (g->have_repeat) PyBuffer_Release(&g->repeat_key);
    if (g->have_buffers) {
        PyBuffer_Release(&g->name_vocab);
        PyBuffer_Release(&g->id_vocab);
        PyBuffer_Release(&g->dob_vocab);
        PyBuffer_Release(&g->post_key);
    }
    Py_XDECREF(g->fallback);
    PyMem_Free(g->table);
    PyMem_Free(g->arena.v);
    PyMem_Free(g->pool.v);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

static PyMethodDef Gate_methods[] = {
    {"scan", (PyCFunction)Gate_scan, METH_VARARGS,
     "scan(text, mode=0) -> None or (order, ranges, gave_up): the byte ranges around lines that can "
     "hold a record (mode 0: lines; 1: lines with quoted CSV fields; 2: the whole text is one unit)."},
    {"h64", (PyCFunction)Gate_h64, METH_VARARGS, "h64(domain, value) -> the keyed fingerprint (for tests)."},
    {"cache_size", (PyCFunction)Gate_cache_size, METH_NOARGS, "Number of classified tokens cached."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject GateType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "fingerprints._gate.Gate",
    .tp_basicsize = sizeof(Gate),
    .tp_dealloc = (destructor)Gate_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A leak's compiled document gate.",
    .tp_methods = Gate_methods,
    .tp_init = (initproc)Gate_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------------------------------ */
/* JSON string escapes                                                                         */

static int put_utf8(ByteVec *o, uint32_t cp) {
    char b[4];
    int n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp == 0xA0) cp = ' ';
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return bytes_put(o, b, (size_t)n);
}

static int hexval(uint8_t c) {
    c = LOWER[c];
    return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* render_json(data: bytes) -> bytes: JSON with its string escapes decoded (\u00e9 -> é,
 * \n -> space), so that the words inside strings are the words the extractor reads. */
static PyObject *render_json(PyObject *self, PyObject *args) {
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    const uint8_t *s = data.buf;
    Py_ssize_t n = data.len, i = 0;
    ByteVec o;
    memset(&o, 0, sizeof o);
    PyObject *result = NULL;
    if (bytes_reserve(&o, (size_t)n + 16) < 0) goto oom;
    while (i < n) {
        const uint8_t *bs = memchr(s + i, '\\', (size_t)(n - i));
        Py_ssize_t k = bs ? bs - s : n;
        if (bytes_put(&o, (const char *)s + i, (size_t)(k - i)) < 0) goto oom;
        i = k;
        if (i >= n) break;
        uint8_t e = i + 1 < n ? s[i + 1] : 0;
        if (e == 'u' && i + 5 < n) {
            int h0 = hexval(s[i + 2]), h1 = hexval(s[i + 3]), h2 = hexval(s[i + 4]), h3 = hexval(s[i + 5]);
            if (h0 >= 0 && h1 >= 0 && h2 >= 0 && h3 >= 0) {
                uint32_t cp = (uint32_t)((h0 << 12) | (h1 << 8) | (h2 << 4) | h3);
                i += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 5 < n && s[i] == '\\' && s[i + 1] == 'u') {
                    int l0 = hexval(s[i + 2]), l1 = hexval(s[i + 3]), l2 = hexval(s[i + 4]), l3 = hexval(s[i + 5]);
                    uint32_t lo = (uint32_t)((l0 << 12) | (l1 << 8) | (l2 << 4) | l3);
                    if (l0 >= 0 && l1 >= 0 && l2 >= 0 && l3 >= 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                if (put_utf8(&o, cp) < 0) goto oom;
                continue;
            }
        }
        if (e == '/') {
            if (bytes_put(&o, "/", 1) < 0) goto oom;
        } else if (bytes_put(&o, " ", 1) < 0) {
            goto oom;
        }
        i += e ? 2 : 1;
    }
    result = PyBytes_FromStringAndSize(o.v, (Py_ssize_t)o.n);
    goto done;
oom:
    PyErr_NoMemory();
done:
    PyMem_Free(o.v);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef module_methods[] = {
    {"render_json", render_json, METH_VARARGS, "render_json(data) -> JSON text with string escapes decoded."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef gate_module = {PyModuleDef_HEAD_INIT, "fingerprints._gate",
                                         "The compiled document gate (see fingerprints.gate).", -1,
                                         module_methods};

PyMODINIT_FUNC PyInit__gate(void) {
    init_tables();
    if (PyType_Ready(&GateType) < 0) return NULL;
    PyObject *m = PyModule_Create(&gate_module);
    if (!m) return NULL;
    Py_INCREF(&GateType);
    if (PyModule_AddObject(m, "Gate", (PyObject *)&GateType) < 0) {
        Py_DECREF(&GateType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
