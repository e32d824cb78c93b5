/*
 * The simulator's own tests: one test per modelled rule. Run by `make test` (and by the agent's Maven build) with
 * LD_PRELOAD of the library and a fresh WINSIM_STORE. Ends with the line "N passed, N failed".
 * Ports used: 23000-23999 (below Linux's default ephemeral range, so the kernel never hands them out on its own).
 */
#define _GNU_SOURCE
#include "winsim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed, current_failed;
static const char *current;

#define CHECK(cond)                                                                                           \
    do {                                                                                                      \
        if (!(cond)) {                                                                                        \
            fprintf(stderr, "FAIL %s: %s:%d: %s (errno %d, WSAGetLastError %d)\n", current, __FILE__,        \
                    __LINE__, #cond, errno, WSAGetLastError());                                               \
            current_failed = 1;                                                                               \
        }                                                                                                     \
    } while (0)

#define EQ(a, b) CHECK((long long)(a) == (long long)(b))

static void as_admin(int on) {
    if (on) {
        setenv("WINSIM_ELEVATED", "1", 1);
    } else {
        unsetenv("WINSIM_ELEVATED");
    }
}

static uint64_t create_tcp(unsigned start, unsigned count) {
    uint64_t token = 0;
    as_admin(1);
    uint32_t rc = CreatePersistentTcpPortReservation(htons((uint16_t)start), (uint16_t)count, &token);
    as_admin(0);
    EQ(rc, NO_ERROR);
    CHECK(token != 0);
    return token;
}

static void delete_tcp(unsigned start, unsigned count) {
    as_admin(1);
    DeletePersistentTcpPortReservation(htons((uint16_t)start), (uint16_t)count);
    as_admin(0);
}

static int tcp_socket(void) {
    return socket(AF_INET6, SOCK_STREAM, 0);
}

static int ioctl_token(int s, uint32_t code, uint64_t token) {
    uint32_t bytes = 0;
    return WSAIoctl((uintptr_t)s, code, &token, sizeof token, NULL, 0, &bytes, NULL, NULL);
}

static int associate(int s, uint64_t token) {
    return ioctl_token(s, SIO_ASSOCIATE_PORT_RESERVATION, token);
}

static int bind_port(int s, unsigned port) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    return bind(s, (struct sockaddr *)&a, sizeof a);
}

static int local_port(int s) {
    struct sockaddr_in6 a;
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    return ntohs(a.sin6_port);
}

static int acquire(int s, unsigned start, unsigned count, INET_PORT_RESERVATION_INSTANCE *out) {
    INET_PORT_RANGE range;
    uint32_t bytes = 0;
    range.StartPort = htons((uint16_t)start);
    range.NumberOfPorts = (uint16_t)count;
    memset(out, 0, sizeof *out);
    int rc = WSAIoctl((uintptr_t)s, SIO_ACQUIRE_PORT_RESERVATION, &range, sizeof range, out, sizeof *out, &bytes,
                      NULL, NULL);
    if (rc == 0) {
        EQ(bytes, sizeof *out);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */

static void test_layouts_and_codes(void) {
    EQ(sizeof(INET_PORT_RANGE), 4);
    EQ(sizeof(INET_PORT_RESERVATION_TOKEN), 8);
    EQ(sizeof(INET_PORT_RESERVATION_INSTANCE), 16);
    EQ(offsetof(INET_PORT_RESERVATION_INSTANCE, Token), 8);
    EQ(SIO_ACQUIRE_PORT_RESERVATION, 0x80000000u | 0x18000000u | 100u);
    EQ(SIO_RELEASE_PORT_RESERVATION, 0x98000065u);
    EQ(SIO_ASSOCIATE_PORT_RESERVATION, 0x98000066u);
}

static void test_create_needs_elevation(void) {
    uint64_t token = 0;
    as_admin(0);
    EQ(CreatePersistentTcpPortReservation(htons(23000), 10, &token), ERROR_ACCESS_DENIED);
    EQ(token, 0);
    EQ(DeletePersistentTcpPortReservation(htons(23000), 10), ERROR_ACCESS_DENIED);
}

static void test_create_rejects_bad_parameters(void) {
    uint64_t token = 0;
    as_admin(1);
    EQ(CreatePersistentTcpPortReservation(0, 10, &token), ERROR_INVALID_PARAMETER);
    EQ(CreatePersistentTcpPortReservation(htons(23000), 0, &token), ERROR_INVALID_PARAMETER);
    EQ(CreatePersistentTcpPortReservation(htons(65530), 10, &token), ERROR_INVALID_PARAMETER);
    EQ(LookupPersistentTcpPortReservation(0, 10, &token), ERROR_INVALID_PARAMETER);
    as_admin(0);
}

static void test_lookup_needs_exact_block_and_no_elevation(void) {
    uint64_t t = create_tcp(23010, 10), found = 0;
    EQ(LookupPersistentTcpPortReservation(htons(23010), 10, &found), NO_ERROR);
    EQ(found, t);
    EQ(LookupPersistentTcpPortReservation(htons(23010), 9, &found), ERROR_NOT_FOUND);
    EQ(LookupPersistentTcpPortReservation(htons(23011), 9, &found), ERROR_NOT_FOUND);
    EQ(LookupPersistentUdpPortReservation(htons(23010), 10, &found), ERROR_NOT_FOUND);
    delete_tcp(23010, 10);
}

static void test_start_port_is_network_byte_order(void) {
    uint64_t t = create_tcp(23020, 5), found = 0;
    /* 23020 = 0x59EC; in host order the simulator reads port 0xEC59 = 60505 */
    EQ(LookupPersistentTcpPortReservation((uint16_t)23020, 5, &found), ERROR_NOT_FOUND);
    EQ(LookupPersistentTcpPortReservation(htons(23020), 5, &found), NO_ERROR);
    EQ(found, t);
    delete_tcp(23020, 5);
}

static void test_overlap_and_ports_in_use_are_sharing_violations(void) {
    uint64_t token = 0;
    create_tcp(23030, 10);
    as_admin(1);
    EQ(CreatePersistentTcpPortReservation(htons(23030), 10, &token), ERROR_SHARING_VIOLATION);
    EQ(CreatePersistentTcpPortReservation(htons(23035), 10, &token), ERROR_SHARING_VIOLATION);
    EQ(CreatePersistentTcpPortReservation(htons(23025), 6, &token), ERROR_SHARING_VIOLATION);
    EQ(CreatePersistentTcpPortReservation(htons(23025), 5, &token), NO_ERROR); /* adjacent: fine */
    EQ(CreatePersistentUdpPortReservation(htons(23030), 10, &token), NO_ERROR); /* other protocol */
    EQ(DeletePersistentUdpPortReservation(htons(23030), 10), NO_ERROR);
    EQ(DeletePersistentTcpPortReservation(htons(23025), 5), NO_ERROR);
    int listener = tcp_socket();
    EQ(bind_port(listener, 23045), 0);
    EQ(listen(listener, 1), 0);
    EQ(CreatePersistentTcpPortReservation(htons(23040), 10, &token), ERROR_SHARING_VIOLATION);
    close(listener);
    as_admin(0);
    delete_tcp(23030, 10);
}

static void test_delete(void) {
    uint64_t found = 0;
    create_tcp(23050, 3);
    as_admin(1);
    EQ(DeletePersistentTcpPortReservation(htons(23050), 4), ERROR_NOT_FOUND);
    EQ(DeletePersistentTcpPortReservation(htons(23050), 3), NO_ERROR);
    as_admin(0);
    EQ(LookupPersistentTcpPortReservation(htons(23050), 3, &found), ERROR_NOT_FOUND);
}

static void test_tokens_are_random_and_reboot_changes_them(void) {
    uint64_t a = create_tcp(23060, 2), b = create_tcp(23062, 2), a2 = 0, b2 = 0;
    CHECK(a != b);
    EQ(winsim_reboot(), 0);
    EQ(LookupPersistentTcpPortReservation(htons(23060), 2, &a2), NO_ERROR);
    EQ(LookupPersistentTcpPortReservation(htons(23062), 2, &b2), NO_ERROR);
    CHECK(a2 != a && a2 != 0);
    CHECK(b2 != b && b2 != 0);
    int s = tcp_socket();
    as_admin(1);
    EQ(associate(s, a), SOCKET_ERROR); /* the old token is gone */
    EQ(WSAGetLastError(), WSAEINVAL);
    EQ(associate(s, a2), 0);
    as_admin(0);
    close(s);
    delete_tcp(23060, 2);
    delete_tcp(23062, 2);
}

static void test_persistent_association_needs_elevation(void) {
    uint64_t t = create_tcp(23070, 5);
    int s = tcp_socket();
    as_admin(0);
    EQ(associate(s, t), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEACCES);
    EQ(errno, WSAEACCES); /* where JNA's Native.getLastError() reads it on Linux */
    as_admin(1);
    EQ(associate(s, t), 0);
    as_admin(0);
    close(s);
    delete_tcp(23070, 5);
}

static void test_unknown_token_wrong_protocol_and_bad_arguments(void) {
    uint64_t t = create_tcp(23080, 5);
    int s = tcp_socket();
    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    uint32_t bytes;
    as_admin(1);
    EQ(associate(s, 0x1234567890ABCDEFull), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEINVAL);
    EQ(associate(s, 0), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEINVAL);
    EQ(associate(u, t), SOCKET_ERROR); /* a TCP reservation's token on a UDP socket */
    EQ(WSAGetLastError(), WSAEINVAL);
    EQ(WSAIoctl((uintptr_t)s, SIO_ASSOCIATE_PORT_RESERVATION, &t, 4, NULL, 0, &bytes, NULL, NULL), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEINVAL);
    EQ(WSAIoctl((uintptr_t)s, SIO_ASSOCIATE_PORT_RESERVATION, NULL, 8, NULL, 0, &bytes, NULL, NULL), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEFAULT);
    EQ(WSAIoctl((uintptr_t)0, SIO_ASSOCIATE_PORT_RESERVATION, &t, 8, NULL, 0, &bytes, NULL, NULL), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAENOTSOCK); /* fd 0 is not a socket */
    EQ(associate(s, t), 0);
    EQ(associate(s, t), SOCKET_ERROR); /* twice */
    EQ(WSAGetLastError(), WSAEINVAL);
    as_admin(0);
    close(s);
    close(u);
    delete_tcp(23080, 5);
}

static void test_association_after_bind_fails(void) {
    uint64_t t = create_tcp(23090, 5);
    int s = tcp_socket();
    EQ(bind_port(s, 0), 0);
    as_admin(1);
    EQ(associate(s, t), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEINVAL);
    as_admin(0);
    close(s);
    delete_tcp(23090, 5);
}

static void test_wildcard_bind_takes_ports_of_the_block_until_it_is_full(void) {
    uint64_t t = create_tcp(23100, 3);
    int s[4];
    as_admin(1);
    for (int i = 0; i < 4; i++) {
        s[i] = tcp_socket();
        EQ(associate(s[i], t), 0);
    }
    as_admin(0);
    for (int i = 0; i < 3; i++) {
        EQ(bind_port(s[i], 0), 0);
        int p = local_port(s[i]);
        CHECK(p >= 23100 && p < 23103);
        EQ(listen(s[i], 1), 0);
    }
    CHECK(local_port(s[0]) != local_port(s[1]) && local_port(s[1]) != local_port(s[2]));
    EQ(bind_port(s[3], 0), -1); /* the reservation is exhausted */
    EQ(errno, EADDRINUSE);
    close(s[1]);
    EQ(bind_port(s[3], 0), 0); /* a port came free */
    CHECK(local_port(s[3]) >= 23100 && local_port(s[3]) < 23103);
    for (int i = 0; i < 4; i++) {
        close(s[i]);
    }
    delete_tcp(23100, 3);
}

static void test_unassociated_wildcard_bind_is_untouched(void) {
    create_tcp(23110, 3);
    int s = tcp_socket();
    EQ(bind_port(s, 0), 0);
    CHECK(local_port(s) < 23110 || local_port(s) >= 23113);
    close(s);
    delete_tcp(23110, 3);
}

static void test_associated_specific_port(void) {
    uint64_t t = create_tcp(23120, 3);
    int in = tcp_socket(), out = tcp_socket();
    as_admin(1);
    EQ(associate(in, t), 0);
    EQ(associate(out, t), 0);
    as_admin(0);
    EQ(bind_port(in, 23121), 0);
    EQ(local_port(in), 23121);
    EQ(bind_port(out, 23200), -1);
    EQ(errno, EADDRNOTAVAIL);
    close(in);
    close(out);
    delete_tcp(23120, 3);
}

/* The assumptions of rules.c, each plausible answer: the exhaustion error, a specific port outside the block, and
 * an association after bind. */
static void test_switchable_assumptions(void) {
    static const struct { const char *value; int err; } exhausted[] = {
        {"addrinuse", EADDRINUSE}, {"nobufs", ENOBUFS}, {"acces", EACCES}};
    uint64_t t = create_tcp(23150, 1);
    for (unsigned i = 0; i < sizeof exhausted / sizeof *exhausted; i++) {
        setenv("WINSIM_EXHAUSTED", exhausted[i].value, 1);
        int a = tcp_socket(), b = tcp_socket();
        as_admin(1);
        EQ(associate(a, t), 0);
        EQ(associate(b, t), 0);
        as_admin(0);
        EQ(bind_port(a, 0), 0);
        EQ(listen(a, 1), 0);
        EQ(bind_port(b, 0), -1);
        EQ(errno, exhausted[i].err);
        close(a);
        close(b);
    }
    unsetenv("WINSIM_EXHAUSTED");
    static const struct { const char *value; int err; } outside[] = {
        {"addrnotavail", EADDRNOTAVAIL}, {"acces", EACCES}, {"allow", 0}};
    for (unsigned i = 0; i < sizeof outside / sizeof *outside; i++) {
        setenv("WINSIM_OUTSIDE", outside[i].value, 1);
        int s = tcp_socket();
        as_admin(1);
        EQ(associate(s, t), 0);
        as_admin(0);
        EQ(bind_port(s, 23160), outside[i].err == 0 ? 0 : -1);
        if (outside[i].err != 0) {
            EQ(errno, outside[i].err);
        }
        close(s);
    }
    unsetenv("WINSIM_OUTSIDE");
    setenv("WINSIM_ASSOC_AFTER_BIND", "ignore", 1);
    int late = tcp_socket();
    EQ(bind_port(late, 0), 0);
    as_admin(1);
    EQ(associate(late, t), 0); /* accepted and without effect: the socket keeps its port */
    as_admin(0);
    CHECK(local_port(late) != 23150);
    close(late);
    unsetenv("WINSIM_ASSOC_AFTER_BIND");
    delete_tcp(23150, 1);
}

static void test_strict_mode(void) {
    uint64_t t = create_tcp(23130, 3);
    int plain = tcp_socket();
    EQ(bind_port(plain, 23131), 0); /* default: a plain bind inside a persistent block succeeds (field reports) */
    close(plain);
    setenv("WINSIM_STRICT", "1", 1);
    plain = tcp_socket();
    EQ(bind_port(plain, 23131), -1);
    EQ(errno, EACCES);
    EQ(bind_port(plain, 23140), 0); /* outside every block */
    close(plain);
    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    EQ(bind_port(u, 23131), 0); /* the block is TCP only */
    close(u);
    int assoc = tcp_socket();
    as_admin(1);
    EQ(associate(assoc, t), 0);
    as_admin(0);
    EQ(bind_port(assoc, 23131), 0);
    close(assoc);
    unsetenv("WINSIM_STRICT");
    delete_tcp(23130, 3);
}

static void test_runtime_reservation_without_elevation(void) {
    INET_PORT_RESERVATION_INSTANCE r;
    int control = tcp_socket(), s = tcp_socket(), other = tcp_socket();
    as_admin(0);
    EQ(acquire(control, 23150, 4, &r), 0);
    EQ(ntohs(r.Reservation.StartPort), 23150);
    EQ(r.Reservation.NumberOfPorts, 4);
    CHECK(r.Token.Token != 0);
    EQ(associate(s, r.Token.Token), 0);
    EQ(bind_port(s, 0), 0);
    CHECK(local_port(s) >= 23150 && local_port(s) < 23154);
    INET_PORT_RESERVATION_INSTANCE again;
    EQ(acquire(other, 23152, 4, &again), SOCKET_ERROR); /* overlaps */
    EQ(WSAGetLastError(), WSAEADDRINUSE);
    create_tcp(23160, 4);
    EQ(acquire(other, 23160, 1, &again), SOCKET_ERROR); /* administered range: msquic #2891 */
    EQ(WSAGetLastError(), WSAEADDRINUSE);
    delete_tcp(23160, 4);
    EQ(ioctl_token(control, SIO_RELEASE_PORT_RESERVATION, r.Token.Token), 0);
    int late = tcp_socket();
    EQ(associate(late, r.Token.Token), SOCKET_ERROR);
    EQ(WSAGetLastError(), WSAEINVAL);
    EQ(ioctl_token(control, SIO_RELEASE_PORT_RESERVATION, r.Token.Token), SOCKET_ERROR);
    close(late);
    close(s);
    close(other);
    close(control);
}

static void test_runtime_any_block(void) {
    INET_PORT_RESERVATION_INSTANCE a, b;
    int c1 = tcp_socket(), c2 = tcp_socket();
    EQ(acquire(c1, 0, 10, &a), 0);
    EQ(acquire(c2, 0, 10, &b), 0);
    unsigned sa = ntohs(a.Reservation.StartPort), sb = ntohs(b.Reservation.StartPort);
    CHECK(sa >= 61000 && sa + 9 <= 65535);
    CHECK(sb >= sa + 10 || sa >= sb + 10); /* disjoint */
    close(c1);
    close(c2);
}

static void test_runtime_reservation_ends_with_its_socket(void) {
    INET_PORT_RESERVATION_INSTANCE r, again;
    int control = tcp_socket();
    EQ(acquire(control, 23170, 2, &r), 0);
    close(control);
    int next = tcp_socket();
    EQ(acquire(next, 23170, 2, &again), 0); /* free again */
    close(next);
}

static void test_runtime_tokens_belong_to_their_process(void) {
    INET_PORT_RESERVATION_INSTANCE r, again;
    int control = tcp_socket();
    EQ(acquire(control, 23180, 2, &r), 0);
    pid_t child = fork();
    if (child == 0) {
        int s = tcp_socket();
        _exit(associate(s, r.Token.Token) == SOCKET_ERROR && WSAGetLastError() == WSAEINVAL ? 0 : 1);
    }
    int status = -1;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* another process's explicit bind into the runtime reservation: WSAEACCES (KB 3039044, field reports); this
     * process's own unassociated bind there is allowed */
    child = fork();
    if (child == 0) {
        int s = tcp_socket();
        _exit(bind_port(s, 23181) == -1 && errno == EACCES ? 0 : 1);
    }
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int own = tcp_socket();
    EQ(bind_port(own, 23181), 0);
    close(own);
    close(control);
    /* a process that exits without releasing leaves nothing behind */
    child = fork();
    if (child == 0) {
        INET_PORT_RESERVATION_INSTANCE mine;
        int c = tcp_socket();
        _exit(acquire(c, 23190, 2, &mine) == 0 ? 0 : 1);
    }
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int c = tcp_socket();
    EQ(acquire(c, 23190, 2, &again), 0);
    close(c);
}

static void test_a_reused_fd_is_a_new_socket(void) {
    uint64_t t = create_tcp(23200, 2);
    int s = tcp_socket();
    as_admin(1);
    EQ(associate(s, t), 0);
    as_admin(0);
    close(s);
    int again = tcp_socket();
    EQ(again, s); /* the lowest free descriptor */
    EQ(bind_port(again, 0), 0);
    CHECK(local_port(again) < 23200 || local_port(again) > 23201);
    close(again);
    delete_tcp(23200, 2);
}

static void test_connect_binds_an_associated_socket_from_the_block(void) {
    uint64_t t = create_tcp(23210, 2);
    int server = tcp_socket();
    EQ(bind_port(server, 0), 0);
    EQ(listen(server, 1), 0);
    int client = tcp_socket();
    as_admin(1);
    EQ(associate(client, t), 0);
    as_admin(0);
    struct sockaddr_in6 to;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    to.sin6_addr = in6addr_loopback;
    to.sin6_port = htons((uint16_t)local_port(server));
    EQ(connect(client, (struct sockaddr *)&to, sizeof to), 0);
    CHECK(local_port(client) >= 23210 && local_port(client) < 23212);
    close(client);
    close(server);
    delete_tcp(23210, 2);
}

static void test_elevation_query(void) {
    void *token = NULL;
    uint32_t elevation = 7, len = 0;
    CHECK(OpenProcessToken(GetCurrentProcess(), WINSIM_TOKEN_QUERY, &token));
    as_admin(0);
    CHECK(GetTokenInformation(token, WINSIM_TOKEN_ELEVATION, &elevation, sizeof elevation, &len));
    EQ(elevation, 0);
    EQ(len, 4);
    as_admin(1);
    CHECK(GetTokenInformation(token, WINSIM_TOKEN_ELEVATION, &elevation, sizeof elevation, &len));
    EQ(elevation, 1);
    as_admin(0);
    CHECK(CloseHandle(token));
}

static void test_interposition_is_detected(void) {
    EQ(winsim_interposing(), 1); /* this test runs under LD_PRELOAD */
}

/* ---------------------------------------------------------------------------------------------------------- */

static void run(const char *name, void (*test)(void)) {
    current = name;
    current_failed = 0;
    test();
    if (current_failed) {
        failed++;
    } else {
        passed++;
        printf("ok %s\n", name);
    }
}

#define RUN(t) run(#t, t)

int main(void) {
    RUN(test_layouts_and_codes);
    RUN(test_create_needs_elevation);
    RUN(test_create_rejects_bad_parameters);
    RUN(test_lookup_needs_exact_block_and_no_elevation);
    RUN(test_start_port_is_network_byte_order);
    RUN(test_overlap_and_ports_in_use_are_sharing_violations);
    RUN(test_delete);
    RUN(test_tokens_are_random_and_reboot_changes_them);
    RUN(test_persistent_association_needs_elevation);
    RUN(test_unknown_token_wrong_protocol_and_bad_arguments);
    RUN(test_association_after_bind_fails);
    RUN(test_wildcard_bind_takes_ports_of_the_block_until_it_is_full);
    RUN(test_unassociated_wildcard_bind_is_untouched);
    RUN(test_associated_specific_port);
    RUN(test_switchable_assumptions);
    RUN(test_strict_mode);
    RUN(test_runtime_reservation_without_elevation);
    RUN(test_runtime_any_block);
    RUN(test_runtime_reservation_ends_with_its_socket);
    RUN(test_runtime_tokens_belong_to_their_process);
    RUN(test_a_reused_fd_is_a_new_socket);
    RUN(test_connect_binds_an_associated_socket_from_the_block);
    RUN(test_elevation_query);
    RUN(test_interposition_is_detected);
    printf("winsim: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
