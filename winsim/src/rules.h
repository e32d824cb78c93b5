/*
 * portres reservation model: Microsoft's port-reservation rules, ONE source for both test front-ends:
 *  - winsim.c, Linux: LD_PRELOAD interposition of bind/connect/close and a library that JNA binds to in place of
 *    ws2_32/iphlpapi/advapi32 (WindowsBackendIT, the Linux JDK's classes);
 *  - shim.c, Windows (mingw-w64): an -agentpath DLL that patches ws2_32's and iphlpapi's export tables inside a
 *    Windows JVM under Wine (WindowsJvmIT, the Windows JDK's own socket code).
 * Every rule in rules.c cites what it rests on; rules resting on nothing are ASSUMPTIONS, switchable with
 * environment variables so that tests can cover each plausible answer:
 *   WINSIM_EXHAUSTED   = addrinuse (default) | nobufs | acces    error of a port-0 bind when the block is full
 *   WINSIM_OUTSIDE     = addrnotavail (default) | acces | allow   a specific port outside the associated block
 *   WINSIM_ASSOC_AFTER_BIND = inval (default) | ignore            SIO_ASSOCIATE_PORT_RESERVATION after bind
 *   WINSIM_STRICT      = 0 (default) | 1   unassociated bind to a specific port inside a persistent block: EACCES
 * and, not an assumption but the environment: WINSIM_ELEVATED = 0 | 1, WINSIM_STORE = the store file.
 *
 * Error results are Winsock/Win32 numbers (winerror.h); each front-end maps them to its own errno or WSA error.
 */
#ifndef PORTRES_RULES_H
#define PORTRES_RULES_H

#include <stdint.h>

/* Win32 errors (winerror.h; Windows headers define them already) */
#ifndef _WIN32
#define NO_ERROR 0u
#define ERROR_ACCESS_DENIED 5u
#define ERROR_SHARING_VIOLATION 32u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_NOT_FOUND 1168u
#endif

/* Winsock errors (winerror.h / winsock2.h) */
#define RESV_WSAEACCES 10013
#define RESV_WSAEFAULT 10014
#define RESV_WSAEINVAL 10022
#define RESV_WSAENOTSOCK 10038
#define RESV_WSAEOPNOTSUPP 10045
#define RESV_WSAEADDRINUSE 10048
#define RESV_WSAEADDRNOTAVAIL 10049
#define RESV_WSAENOBUFS 10055

/* mstcpip.h: _WSAIOW(IOC_VENDOR, 100..102) */
#define RESV_SIO_ACQUIRE_PORT_RESERVATION 0x98000064u
#define RESV_SIO_RELEASE_PORT_RESERVATION 0x98000065u
#define RESV_SIO_ASSOCIATE_PORT_RESERVATION 0x98000066u

#define RESV_TCP 6
#define RESV_UDP 17

/* bind: what the front-end does */
#define RESV_BIND_PASS (-1) /* not the model's business: the plain bind as requested */

/* persistent reservations (iphlpapi); StartPort in network byte order, as on Windows */
uint32_t resv_create_persistent(int proto, uint16_t start_net, uint16_t count, uint64_t *token);
uint32_t resv_lookup_persistent(int proto, uint16_t start_net, uint16_t count, uint64_t *token);
uint32_t resv_delete_persistent(int proto, uint16_t start_net, uint16_t count);

/* A socket, as the front-end sees it: its handle (fd or SOCKET), an identity check (the inode on Linux, 0 where
 * the front-end sees every close), its protocol (RESV_TCP/RESV_UDP) and its bound port (0 when unbound). */
struct resv_sock {
    uintptr_t handle;
    uint64_t identity;
    int proto;
    int bound_port;
};

/* The WSAIoctl codes of the model; returns 0 or a WSA error. */
int resv_ioctl(const struct resv_sock *s, uint32_t code, const void *in, uint32_t inlen, void *out,
               uint32_t outlen, uint32_t *bytes);

/* try_bind(ctx, port): 0 bound, 1 that port is taken (in use or refused), -1 another error (left for the caller). */
typedef int (*resv_try_bind)(void *ctx, unsigned port);
/* bind(): RESV_BIND_PASS, 0 (bound by try_bind), -1 (try_bind's own error), or a WSA error of the model. */
int resv_bind(const struct resv_sock *s, unsigned port, resv_try_bind try_bind, void *ctx);
/* connect() of an associated, unbound TCP socket binds it from the block first (the implicit bind): 1 if so. */
int resv_needs_implicit_bind(const struct resv_sock *s);
/* The socket is gone (closesocket/close/dup2 onto it): forget it, release its runtime reservations. */
void resv_forget(uintptr_t handle);

int resv_elevated(void);

/* controls (not Windows functions) */
int resv_reboot(void);          /* new tokens for persistent reservations, runtime ones dropped */
int resv_list(char *buf, int cap); /* the store as text, returns the number of reservations */
const char *resv_version(void);

/* platform functions, implemented by the front-end's platform section in rules.c */
int resv_port_in_use(int proto, unsigned port);

#endif
