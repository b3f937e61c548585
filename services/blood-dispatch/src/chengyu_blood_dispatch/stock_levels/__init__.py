"""The levels area: days of supply and the shown level per line with hysteresis
(``levels.py`` holds the pure rules; this package is named apart so as not to shadow it),
stock-low and stock-recovered, and the other city's levels as seen."""
