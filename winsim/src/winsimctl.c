/*
 * winsimctl: the simulator's netsh. Acts as an elevated administrator on the store named by WINSIM_STORE.
 *
 *   winsimctl create tcp|udp START COUNT     prints the token (CreatePersistent*PortReservation)
 *   winsimctl lookup tcp|udp START COUNT     prints the token (LookupPersistent*PortReservation)
 *   winsimctl delete tcp|udp START COUNT     (DeletePersistent*PortReservation)
 *   winsimctl list                           one reservation a line
 *   winsimctl reboot                         every persistent reservation gets a new token; runtime ones end
 *
 * Exit status: 0, or the Win32 error (truncated to 8 bits; the name is printed on standard error).
 */
#include "winsim.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    fprintf(stderr, "usage: winsimctl create|lookup|delete tcp|udp START COUNT | list | reboot\n");
    return 2;
}

int main(int argc, char **argv) {
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
