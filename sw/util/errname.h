/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PRISIM_SW_UTIL_ERRNAME_H
#define PRISIM_SW_UTIL_ERRNAME_H
/* Symbolic name of a (positive or negative) errno value, for log messages. */
const char *px_errname(int err);
#endif
