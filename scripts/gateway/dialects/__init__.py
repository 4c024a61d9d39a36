"""One module per service dialect, each defining `Dialect` (a `gateway.Dialect`). They live in this
package so that the vendors' SDK packages of the same names (`obs`, `nos`, `ks3`) import as usual."""
