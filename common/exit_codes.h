/* Exit statuses shared by telesono-capture and telesono-view, so scripts and
 * service managers can tell failures apart (docs/operations.md lists them). */
#ifndef TSN_EXIT_CODES_H
#define TSN_EXIT_CODES_H

enum tsn_exit {
    TSN_EXIT_OK = 0,
    TSN_EXIT_FAILURE = 1,     /* a runtime failure not listed below */
    TSN_EXIT_USAGE = 2,       /* bad flags or values */
    TSN_EXIT_AUTH = 3,        /* the relay refused the token (expired, wrong room or role) */
    TSN_EXIT_UNREACHABLE = 4, /* relay unreachable, or its certificate not trusted */
    TSN_EXIT_SOURCE = 5,      /* capture source missing, busy or unreadable */
    TSN_EXIT_PIPELINE = 6,    /* GStreamer element missing or pipeline error */
};

#endif
