/* bnn/names.h — how the rramsim C libraries name the values of an enum: one designated-initialiser
 * table per enum, checked against the enum's _COUNT when it compiles, and the bounds-checked lookup
 * that each `*_str()` function returns. For C11 sources (the check is a _Static_assert). */
#ifndef BNN_NAMES_H
#define BNN_NAMES_H

/* BNN_NAME_TABLE(table, count, {[A] = "a", [B] = "b", ...}); defines `static const char *const
 * table[]` with that initialiser. The table takes its length from its initialisers, not from count,
 * so the assertion fails to compile when the enum gains a value past the last name (a table
 * declared [count] long would pass it whatever it held). */
#define BNN_NAME_TABLE(table, count, ...)                   \
  static const char *const table[] = __VA_ARGS__;           \
  _Static_assert(sizeof table / sizeof table[0] == (count), \
                 #table " must name every value below " #count)

/* table[v], or `unknown` for a value past the table (v is compared as unsigned, so a negative
 * value is past it too). */
#define BNN_NAME_OF(table, v, unknown) \
  ((unsigned)(v) < sizeof table / sizeof table[0] ? table[v] : (unknown))

#endif /* BNN_NAMES_H */
