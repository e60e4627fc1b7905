"""The web plumbing shared by the JSON API (``http/``) and the pages (``pages/``): the request
pipeline, what it puts on a request, responses and cookies, the services a handler reaches."""
