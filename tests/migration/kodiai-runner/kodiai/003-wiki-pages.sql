CREATE TABLE wiki_pages (id serial PRIMARY KEY, title text NOT NULL);
