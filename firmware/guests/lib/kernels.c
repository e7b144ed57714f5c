/* The compute kernels of the core benchmark, one object file shared by the bare-metal
 * program (bench/kernels.c) and the compute guest (firmware/guests/compute.c): both run
 * the very same machine code. Each kernel returns a checksum that bench/kernels.py
 * recomputes. */
#include "kernels.h"

static uint32_t seed;
static uint32_t lcg(void) { return seed = seed * 1664525u + 1013904223u; }

/* --- integer matrix multiply, 16x16 ----------------------------------------------- */
#define N 16
static int32_t ma[N][N], mb[N][N], mc[N][N];
static uint32_t matmul(void)
{
    seed = 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            ma[i][j] = (int32_t)(lcg() >> 24) - 128;
            mb[i][j] = (int32_t)(lcg() >> 24) - 128;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < N; k++)
                acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc;
        }
    uint32_t sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum = sum * 31u + (uint32_t)mc[i][j];
    return sum;
}

/* --- CRC-32 over 1 KiB ------------------------------------------------------------- */
static uint8_t buf[1024];
static uint32_t crc32(void)
{
    seed = 2;
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(lcg() >> 24);
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < sizeof buf; i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* --- insertion sort of 200 words ---------------------------------------------------- */
#define SORT_N 200
static uint32_t arr[SORT_N];
static uint32_t isort(void)
{
    seed = 3;
    for (int i = 0; i < SORT_N; i++)
        arr[i] = lcg();
    for (int i = 1; i < SORT_N; i++) {
        uint32_t v = arr[i];
        int j = i - 1;
        while (j >= 0 && arr[j] > v) {
            arr[j + 1] = arr[j];
            j--;
        }
        arr[j + 1] = v;
    }
    uint32_t sum = 0;
    for (int i = 0; i < SORT_N; i++)
        sum += arr[i] * (uint32_t)(i + 1);
    return sum;
}

/* --- linked-list walk: 256 nodes linked in a shuffled order, walked 8 times --------- */
#define LIST_N 256
struct node { struct node *next; uint32_t value; };
static struct node nodes[LIST_N];
static uint32_t order[LIST_N];
static uint32_t listwalk(void)
{
    seed = 4;
    for (uint32_t i = 0; i < LIST_N; i++)
        order[i] = i;
    for (uint32_t i = LIST_N - 1; i > 0; i--) {
        uint32_t j = lcg() % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < LIST_N; i++) {
        nodes[order[i]].value = lcg() >> 16;
        nodes[order[i]].next = i + 1 < LIST_N ? &nodes[order[i + 1]] : 0;
    }
    uint32_t sum = 0;
    for (int pass = 0; pass < 8; pass++)
        for (struct node *n = &nodes[order[0]]; n; n = n->next)
            sum = (sum ^ n->value) * 3u + (uint32_t)pass;
    return sum;
}

/* --- a state machine: count numbers, words and other symbols in generated text --------- */
static char text[2048];
static uint32_t statemachine(void)
{
    seed = 5;
    static const char alphabet[] = "abc 123 ,.;xyz 7890 ";
    for (unsigned i = 0; i < sizeof text - 1; i++)
        text[i] = alphabet[(lcg() >> 24) % (sizeof alphabet - 1)];
    text[sizeof text - 1] = 0;
    enum { SPACE, WORD, NUMBER } state = SPACE;
    uint32_t words = 0, numbers = 0, symbols = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        int digit = c >= '0' && c <= '9';
        int letter = c >= 'a' && c <= 'z';
        switch (state) {
        case SPACE:
            if (digit) { state = NUMBER; numbers++; }
            else if (letter) { state = WORD; words++; }
            else if (c != ' ') symbols++;
            break;
        case WORD:
            if (digit) { state = NUMBER; numbers++; }
            else if (!letter) { state = SPACE; if (c != ' ') symbols++; }
            break;
        case NUMBER:
            if (letter) { state = WORD; words++; }
            else if (!digit) { state = SPACE; if (c != ' ') symbols++; }
            break;
        }
    }
    return words * 1000000u + numbers * 1000u + symbols;
}

/* --- naive string search: occurrences of 3-letter patterns in 2 KiB of text ---------- */
static uint32_t strsearch(void)
{
    seed = 6;
    for (unsigned i = 0; i < sizeof text - 1; i++)
        text[i] = (char)('a' + (lcg() >> 24) % 4);
    text[sizeof text - 1] = 0;
    static const char *patterns[] = { "abc", "dda", "bbb", "cab" };
    uint32_t found = 0;
    for (int p = 0; p < 4; p++) {
        const char *pat = patterns[p];
        for (const char *t = text; *t; t++) {
            int k = 0;
            while (pat[k] && t[k] == pat[k])
                k++;
            if (!pat[k])
                found += (uint32_t)(p + 1);
        }
    }
    return found;
}

/* --- a mixed loop in the manner of CoreMark: list, matrix, state and CRC together ------ */
static uint32_t mixed(void)
{
    uint32_t acc = 0;
    seed = 7;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                mc[i][j] = (int32_t)(lcg() >> 20);
        int32_t trace = 0;
        for (int i = 0; i < 8; i++)
            for (int k = 0; k < 8; k++)
                trace += mc[i][k] * mc[k][i];
        uint32_t crc = (uint32_t)trace;
        for (int k = 0; k < 32; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        uint32_t hops = 0;
        for (struct node *n = &nodes[order[round]]; n && hops < 64; n = n->next)
            hops += n->value & 7u;
        acc = (acc * 7u) ^ crc ^ hops ^ (uint32_t)(trace / 3);
    }
    return acc;
}

const struct kernel kernels[KERNELS] = {
    {"matmul", matmul}, {"crc32", crc32}, {"isort", isort}, {"listwalk", listwalk},
    {"statemachine", statemachine}, {"strsearch", strsearch}, {"mixed", mixed},
};
