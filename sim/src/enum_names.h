/* enum_names.h — the names of rramsim::device's enums (private to device.c and array_cost.c): each
 * enum's name table and its rr_*_name / rr_*_parse pair are one use of RR_ENUM_NAMES. */
#ifndef RRAMSIM_ENUM_NAMES_H
#define RRAMSIM_ENUM_NAMES_H

/* The index of s among names[0, count), compared without regard to ASCII case; -1 if absent. */
int rr_enum_index(const char *const *names, int count, const char *s);

/* Defines the name table of enum TYPE (values 0 .. COUNT-1) from the designated initialisers that
 * follow (a value added to the enum without a name fails the _Static_assert), and
 *   const char *NAME_FN(TYPE v):              v's name, "?" for a value without one;
 *   int PARSE_FN(const char *s, TYPE *out):   1 and *out = the value named s (any ASCII case), or
 *                                             0 for an unknown name. */
#define RR_ENUM_NAMES(TYPE, COUNT, NAME_FN, PARSE_FN, ...)                         \
  static const char *const NAME_FN##_table[] = {__VA_ARGS__};                      \
  _Static_assert(sizeof NAME_FN##_table / sizeof NAME_FN##_table[0] == (COUNT),    \
                 #TYPE ": one name per value");                                    \
  const char *NAME_FN(TYPE v) {                                                    \
    return (unsigned)v < (COUNT) && NAME_FN##_table[v] ? NAME_FN##_table[v] : "?"; \
  }                                                                                \
  int PARSE_FN(const char *s, TYPE *out) {                                         \
    const int i = rr_enum_index(NAME_FN##_table, (COUNT), s);                      \
    if (i >= 0) *out = (TYPE)i;                                                    \
    return i >= 0;                                                                 \
  }

#endif
