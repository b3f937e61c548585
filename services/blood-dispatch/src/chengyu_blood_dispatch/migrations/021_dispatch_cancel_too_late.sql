-- dispatch_offer.cancel_too_late: a cancellation of the request crossed this offer's
-- dispatch on the bus and lost the race (the shipment stands).
ALTER TABLE dispatch_offer ADD COLUMN cancel_too_late boolean NOT NULL DEFAULT false;
