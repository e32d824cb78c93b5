/*
 * portres Windows-semantics simulator: the subset of ws2_32, iphlpapi, advapi32 and kernel32 that the portres
 * Windows backend calls, with Microsoft's documented port-reservation rules, for Linux. Test-only.
 *
 * Signatures follow the Windows SDK with Linux types of the same size as on 64-bit Windows: SOCKET and HANDLE are
 * pointer-sized, USHORT is 16 bits, ULONG and DWORD are 32 bits, ULONG64 is 64 bits. StartPort arguments and
 * INET_PORT_RANGE.StartPort are in network byte order, as on Windows.
 */
#ifndef PORTRES_WINSIM_H
#define PORTRES_WINSIM_H

#include <stdint.h>

/* Win32 errors (winerror.h) */
#define NO_ERROR 0u
#define ERROR_ACCESS_DENIED 5u
#define ERROR_SHARING_VIOLATION 32u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_NOT_FOUND 1168u

/* Winsock errors (winerror.h / winsock2.h) */
#define WSAEACCES 10013
#define WSAEFAULT 10014
#define WSAEINVAL 10022
#define WSAENOTSOCK 10038
#define WSAEOPNOTSUPP 10045
#define WSAEADDRINUSE 10048
#define SOCKET_ERROR (-1)

/* mstcpip.h: _WSAIOW(IOC_VENDOR, 100..102) */
#define SIO_ACQUIRE_PORT_RESERVATION 0x98000064u
#define SIO_RELEASE_PORT_RESERVATION 0x98000065u
#define SIO_ASSOCIATE_PORT_RESERVATION 0x98000066u

/* winnt.h: TOKEN_INFORMATION_CLASS TokenElevation, and TOKEN_QUERY */
#define WINSIM_TOKEN_ELEVATION 20
#define WINSIM_TOKEN_QUERY 0x0008u

typedef struct {
    uint16_t StartPort;     /* network byte order */
    uint16_t NumberOfPorts; /* host byte order */
} INET_PORT_RANGE;

typedef struct {
    uint64_t Token;
} INET_PORT_RESERVATION_TOKEN;

typedef struct {
    INET_PORT_RANGE Reservation;
    INET_PORT_RESERVATION_TOKEN Token; /* 8-byte aligned: 4 bytes of padding before it */
} INET_PORT_RESERVATION_INSTANCE;

/* ws2_32 */
int WSAIoctl(uintptr_t s, uint32_t dwIoControlCode, void *lpvInBuffer, uint32_t cbInBuffer, void *lpvOutBuffer,
             uint32_t cbOutBuffer, uint32_t *lpcbBytesReturned, void *lpOverlapped, void *lpCompletionRoutine);
int WSAGetLastError(void);

/* iphlpapi */
uint32_t CreatePersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token);
uint32_t LookupPersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token);
uint32_t DeletePersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts);
uint32_t CreatePersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token);
uint32_t LookupPersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token);
uint32_t DeletePersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts);

/* advapi32 and kernel32: just enough for "is this process elevated" (TokenElevation) */
void *GetCurrentProcess(void);
int OpenProcessToken(void *ProcessHandle, uint32_t DesiredAccess, void **TokenHandle);
int GetTokenInformation(void *TokenHandle, int TokenInformationClass, void *TokenInformation,
                        uint32_t TokenInformationLength, uint32_t *ReturnLength);
int CloseHandle(void *hObject);

/* simulator controls (not Windows functions) */

/* Gives every persistent reservation a new token and drops every runtime reservation, as a reboot does. */
int winsim_reboot(void);
/* Writes the store as text ("tcp 50000 100 persistent 0x... " per line) to fd 1. */
int winsim_list(void);
/* 1 when this process's bind() is the simulator's (LD_PRELOAD in effect), else 0. */
int winsim_interposing(void);
/* Version of the simulator's rules, for the agent's self-check line. */
const char *winsim_version(void);

#endif
