"""``chengyu new-service``: a new service package with one example event, written from
the templates beside this file so that it follows the kit's service shape."""
