"""Key-group job seekers (重点群体求职者) registered in this city, with their consent to be
matched in the other city: the rules of a profile (:mod:`.profile`), a seeker's versions
and what each tells the other city (:mod:`.seeker`), and the consenting seekers of the
other city as read from the bus."""
