"""The joint rare-blood registry (特殊稀有血型库) of both cities' blood centres: this city's
donors, the other city's as seen on the bus, searches and recalls. The rules are
:mod:`chengyu_blood_dispatch.rare_donors`."""
