/* Benchmark load: CRC-32 over a 4 KiB buffer, repeated; reports cycles and instructions. */
#include "zv.h"

static uint8_t buf[4096];

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int main(void)
{
    for (uint32_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7u + 3u);
    uint32_t c0 = read_csr(mcycle), i0 = read_csr(minstret);
    uint32_t crc = 0;
    for (int r = 0; r < ROUNDS; r++)
        crc ^= crc32(buf, sizeof buf);
    uint32_t c1 = read_csr(mcycle), i1 = read_csr(minstret);
    zv_puts("crc ");
    zv_puthex(crc);
    zv_puts(" cycles ");
    zv_putdec(c1 - c0);
    zv_puts(" instret ");
    zv_putdec(i1 - i0);
    zv_puts("\n");
    return 0;
}
