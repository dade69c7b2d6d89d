/* tsn-udp-send: sends hand-made datagrams to a UDP port on 127.0.0.1, one
 * datagram per argument, for the relay's robustness tests:
 *
 *   tsn-udp-send PORT ITEM...
 *     hex:BYTES          the bytes given in hex (e.g. hex:00ff17)
 *     stun-unknown-user  a well-formed STUN Binding request (USERNAME, PRIORITY,
 *                        ICE-CONTROLLING, MESSAGE-INTEGRITY, valid FINGERPRINT)
 *                        for an ICE username no session has
 *     rtp                a plain (unencrypted) RTP packet, PT 96, 200 bytes
 *     rtcp               a plain RTCP receiver report
 *     dtls               a DTLS 1.2 ClientHello record header with junk inside
 *     zero               an empty datagram
 *     random:N           N datagrams of random length (1..1400) and content
 *
 * Prints one line per item on stderr. Exit status 0, or 1 if a send failed,
 * 2 on usage errors. Bytes are sent from one socket, so the relay sees one
 * unknown peer. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define STUN_MAGIC_COOKIE    0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554eu
#define MAX_DATAGRAM_BYTES   2048

struct packet {
    uint8_t buf[MAX_DATAGRAM_BYTES];
    size_t len;
};

static uint32_t rng_state = 0x2545f491u;

static uint32_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* CRC-32 (ISO-HDLC), as STUN's FINGERPRINT uses. Bitwise: speed is irrelevant. */
static uint32_t crc32_bytes(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void stun_attr(struct packet *pk, uint16_t type, const void *value, uint16_t len)
{
    put16(pk->buf + pk->len, type);
    put16(pk->buf + pk->len + 2, len);
    memcpy(pk->buf + pk->len + 4, value, len);
    size_t padded = ((size_t)len + 3) & ~(size_t)3;
    memset(pk->buf + pk->len + 4 + len, 0, padded - len);
    pk->len += 4 + padded;
    put16(pk->buf + 2, (uint16_t)(pk->len - 20)); /* header length: attributes so far */
}

static void make_stun_unknown_user(struct packet *pk)
{
    static const char username[] = "nosuchufrag:tsntestclient";
    static const char wrong_password[] = "not-the-password-of-anybody";
    memset(pk, 0, sizeof(*pk));
    put16(pk->buf, 0x0001); /* Binding request */
    put32(pk->buf + 4, STUN_MAGIC_COOKIE);
    for (int i = 0; i < 12; i++)
        pk->buf[8 + i] = (uint8_t)next_random();
    pk->len = 20;
    stun_attr(pk, 0x0006, username, (uint16_t)strlen(username));
    uint8_t prio[4];
    put32(prio, 0x6e7f00ffu);
    stun_attr(pk, 0x0024, prio, 4);
    uint8_t tiebreaker[8];
    for (int i = 0; i < 8; i++)
        tiebreaker[i] = (uint8_t)next_random();
    stun_attr(pk, 0x802A, tiebreaker, 8);

    /* MESSAGE-INTEGRITY covers the message with the length already counting it. */
    put16(pk->buf + 2, (uint16_t)(pk->len - 20 + 24));
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha1(), wrong_password, (int)strlen(wrong_password), pk->buf, pk->len, mac, &mac_len);
    stun_attr(pk, 0x0008, mac, 20);

    put16(pk->buf + 2, (uint16_t)(pk->len - 20 + 8));
    uint8_t fp[4];
    put32(fp, crc32_bytes(pk->buf, pk->len) ^ STUN_FINGERPRINT_XOR);
    stun_attr(pk, 0x8028, fp, 4);
}

static void make_rtp(struct packet *pk)
{
    memset(pk, 0, sizeof(*pk));
    pk->buf[0] = 0x80;
    pk->buf[1] = 96;
    put16(pk->buf + 2, 4711);
    put32(pk->buf + 4, 900000);
    put32(pk->buf + 8, 0x1234abcdu);
    for (size_t i = 12; i < 200; i++)
        pk->buf[i] = (uint8_t)next_random();
    pk->len = 200;
}

static void make_rtcp(struct packet *pk)
{
    memset(pk, 0, sizeof(*pk));
    pk->buf[0] = 0x81; /* V=2, one report block */
    pk->buf[1] = 201;  /* RR */
    put16(pk->buf + 2, 7);
    put32(pk->buf + 4, 0x1234abcdu);
    put32(pk->buf + 8, 0x5678ef01u);
    pk->len = 32;
}

static void make_dtls(struct packet *pk)
{
    memset(pk, 0, sizeof(*pk));
    static const uint8_t header[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100};
    memcpy(pk->buf, header, sizeof(header));
    for (size_t i = sizeof(header); i < sizeof(header) + 100; i++)
        pk->buf[i] = (uint8_t)next_random();
    pk->len = sizeof(header) + 100;
}

static int make_hex(struct packet *pk, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > sizeof(pk->buf))
        return -EINVAL;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -EINVAL;
        pk->buf[i] = (uint8_t)v;
    }
    pk->len = n / 2;
    return 0;
}

static int send_packet(int fd, const struct sockaddr_in *to, const struct packet *pk,
                       const char *what)
{
    ssize_t sent = sendto(fd, pk->buf, pk->len, 0, (const struct sockaddr *)to, sizeof(*to));
    if (sent != (ssize_t)pk->len) {
        fprintf(stderr, "tsn-udp-send: %s: %s\n", what, strerror(errno));
        return -1;
    }
    fprintf(stderr, "tsn-udp-send: sent %s (%zu bytes)\n", what, pk->len);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tsn-udp-send PORT ITEM... (hex:BYTES stun-unknown-user rtp rtcp "
                        "dtls zero random:N)\n");
        return 2;
    }
    int port = atoi(argv[1]);
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "tsn-udp-send: bad port %s\n", argv[1]);
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("tsn-udp-send: socket");
        return 1;
    }
    int rc = 0;
    static struct packet pk;
    for (int i = 2; i < argc && rc == 0; i++) {
        const char *item = argv[i];
        if (strncmp(item, "random:", 7) == 0) {
            int count = atoi(item + 7);
            for (int k = 0; k < count && rc == 0; k++) {
                pk.len = 1 + next_random() % 1400;
                for (size_t b = 0; b < pk.len; b++)
                    pk.buf[b] = (uint8_t)next_random();
                ssize_t sent = sendto(fd, pk.buf, pk.len, 0, (struct sockaddr *)&to, sizeof(to));
                rc = sent == (ssize_t)pk.len ? 0 : -1;
                if (k % 64 == 63)
                    usleep(1000); /* let the receiver keep up: this is not a load test */
            }
            fprintf(stderr, "tsn-udp-send: sent %d random datagrams%s\n", count,
                    rc ? " (failed)" : "");
            continue;
        }
        if (strncmp(item, "hex:", 4) == 0) {
            if (make_hex(&pk, item + 4) < 0) {
                fprintf(stderr, "tsn-udp-send: bad hex in %s\n", item);
                rc = 2;
                break;
            }
        } else if (strcmp(item, "stun-unknown-user") == 0) {
            make_stun_unknown_user(&pk);
        } else if (strcmp(item, "rtp") == 0) {
            make_rtp(&pk);
        } else if (strcmp(item, "rtcp") == 0) {
            make_rtcp(&pk);
        } else if (strcmp(item, "dtls") == 0) {
            make_dtls(&pk);
        } else if (strcmp(item, "zero") == 0) {
            pk.len = 0;
        } else {
            fprintf(stderr, "tsn-udp-send: unknown item %s\n", item);
            rc = 2;
            break;
        }
        rc = send_packet(fd, &to, &pk, item);
    }
    close(fd);
    return rc < 0 ? 1 : rc;
}
