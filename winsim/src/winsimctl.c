/*
 * winsimctl: the simulator's netsh. Acts as an elevated administrator on the store named by WINSIM_STORE.
 *
 *   winsimctl create tcp|udp START COUNT     prints the token (CreatePersistent*PortReservation)
 *   winsimctl lookup tcp|udp START COUNT     prints the token (LookupPersistent*PortReservation)
 *   winsimctl delete tcp|udp START COUNT     (DeletePersistent*PortReservation)
 *   winsimctl list                           one reservation a line
 *   winsimctl reboot                         every persistent reservation gets a new token; runtime ones end
 *   winsimctl netsh int ipv4 show excludedportrange protocol=tcp|udp
 *   winsimctl netsh int ipv4 show dynamicport tcp|udp
 *                                            netsh's output for the store, with French headings (netsh's are
 *                                            localized: portres must read only its numbers); the dynamic range is
 *                                            49152+16384 unless WINSIM_DYNAMIC="start count"
 *
 * Exit status: 0, or the Win32 error (truncated to 8 bits; the name is printed on standard error).
 */
#include "winsim.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *error_name(uint32_t e) {
    switch (e) {
        case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
        case ERROR_SHARING_VIOLATION: return "ERROR_SHARING_VIOLATION";
        case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
        case ERROR_NOT_FOUND: return "ERROR_NOT_FOUND";
        default: return "error";
    }
}

static int usage(void) {
    fprintf(stderr, "usage: winsimctl create|lookup|delete tcp|udp START COUNT | list | reboot"
                    " | netsh int ipv4 show excludedportrange protocol=tcp|udp | netsh int ipv4 show dynamicport tcp|udp\n");
    return 2;
}

struct row {
    unsigned start, end;
    int administered;
};

static int by_start(const void *a, const void *b) {
    const struct row *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The store as winsim_list() prints it, read back through a temporary file. */
static int excluded(const char *proto) {
    FILE *tmp = tmpfile();
    if (tmp == NULL) {
        return 1;
    }
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    int n = winsim_list();
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    if (n < 0) {
        return 1;
    }
    rewind(tmp);
    static struct row rows[4096];
    int k = 0;
    char line[256], p[8], kind[16];
    unsigned start, count;
    while (k < 4096 && fgets(line, sizeof line, tmp) != NULL) {
        if (sscanf(line, "%7s %u %u %15s", p, &start, &count, kind) == 4 && strcmp(p, proto) == 0) {
            rows[k].start = start;
            rows[k].end = start + count - 1;
            rows[k].administered = strcmp(kind, "persistent") == 0;
            k++;
        }
    }
    fclose(tmp);
    qsort(rows, (size_t)k, sizeof rows[0], by_start);
    printf("\nPlages d'exclusion de ports du protocole %s\n\nPort de d\xc3\xa9" "but    Port de fin\n"
           "----------    --------\n", proto);
    for (int i = 0; i < k; i++) {
        printf("%10u  %10u%s\n", rows[i].start, rows[i].end, rows[i].administered ? "     *" : "");
    }
    printf("\n* - Exclusions de ports administr\xc3\xa9\x65s.\n\n");
    return 0;
}

static int dynamic(const char *proto) {
    unsigned start = 49152, count = 16384;
    const char *d = getenv("WINSIM_DYNAMIC");
    if (d != NULL && sscanf(d, "%u %u", &start, &count) != 2) {
        return usage();
    }
    printf("\nPlage de ports dynamiques du protocole %s\n---------------------------------\n"
           "Port de d\xc3\xa9marrage : %u\nNombre de ports   : %u\n\n", proto, start, count);
    return 0;
}

static int netsh(int argc, char **argv) {
    if (argc == 7 && strcmp(argv[2], "int") == 0 && strcmp(argv[3], "ipv4") == 0 && strcmp(argv[4], "show") == 0) {
        if (strcmp(argv[5], "excludedportrange") == 0 && strncmp(argv[6], "protocol=", 9) == 0) {
            return excluded(argv[6] + 9);
        }
        if (strcmp(argv[5], "dynamicport") == 0) {
            return dynamic(argv[6]);
        }
    }
    return usage();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "netsh") == 0) {
        return netsh(argc, argv);
    }
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        return winsim_list() < 0 ? 1 : 0;
    }
    if (argc == 2 && strcmp(argv[1], "reboot") == 0) {
        return winsim_reboot() == 0 ? 0 : 1;
    }
    if (argc != 5) {
        return usage();
    }
    int udp = strcmp(argv[2], "udp") == 0;
    if (!udp && strcmp(argv[2], "tcp") != 0) {
        return usage();
    }
    long start = strtol(argv[3], NULL, 10), count = strtol(argv[4], NULL, 10);
    if (start < 0 || start > 65535 || count < 0 || count > 65535) {
        return usage();
    }
    setenv("WINSIM_ELEVATED", "1", 1); /* netsh runs elevated */
    uint16_t s = htons((uint16_t)start), n = (uint16_t)count;
    uint64_t token = 0;
    uint32_t rc;
    if (strcmp(argv[1], "create") == 0) {
        rc = udp ? CreatePersistentUdpPortReservation(s, n, &token) : CreatePersistentTcpPortReservation(s, n, &token);
    } else if (strcmp(argv[1], "lookup") == 0) {
        rc = udp ? LookupPersistentUdpPortReservation(s, n, &token) : LookupPersistentTcpPortReservation(s, n, &token);
    } else if (strcmp(argv[1], "delete") == 0) {
        rc = udp ? DeletePersistentUdpPortReservation(s, n) : DeletePersistentTcpPortReservation(s, n);
    } else {
        return usage();
    }
    if (rc != NO_ERROR) {
        fprintf(stderr, "winsimctl: %s (%u)\n", error_name(rc), rc);
        return (int)(rc & 0xff) == 0 ? 1 : (int)(rc & 0xff);
    }
    if (token != 0) {
        printf("0x%016" PRIX64 "\n", token);
    }
    return 0;
}
