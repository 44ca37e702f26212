/* enum_names.h — the name ↔ value functions of rramsim::device's enums (private to device.c and
 * array_cost.c): every rr_*_name / rr_*_parse pair is one use of RR_ENUM_NAME_FUNCTIONS over the
 * enum's name table. */
#ifndef RRAMSIM_ENUM_NAMES_H
#define RRAMSIM_ENUM_NAMES_H

/* The index of s among names[0, count), compared without regard to ASCII case; -1 if absent. */
int rr_enum_index(const char *const *names, int count, const char *s);

/* Defines NAME_FN(TYPE v): its name in NAMES, "?" outside [0, COUNT); and PARSE_FN(s, out):
 * *out = the value named s (any ASCII case) and 1, or 0 for an unknown name. */
#define RR_ENUM_NAME_FUNCTIONS(TYPE, NAMES, COUNT, NAME_FN, PARSE_FN) \
  const char *NAME_FN(TYPE v) {                                       \
    return (unsigned)v < (COUNT) ? (NAMES)[v] : "?";                  \
  }                                                                   \
  int PARSE_FN(const char *s, TYPE *out) {                            \
    const int i = rr_enum_index((NAMES), (COUNT), s);                 \
    if (i >= 0) *out = (TYPE)i;                                       \
    return i >= 0;                                                    \
  }

#endif
