"""Personnel files (人事档案): where each person's file is held (both cities' indexes),
transfers between the cities' talent-service centres with deadlines on the holder's
working-day calendar, certificates based on a file, and reminders of late steps."""
