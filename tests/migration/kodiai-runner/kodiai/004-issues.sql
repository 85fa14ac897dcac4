CREATE TABLE issues (id serial PRIMARY KEY, title text NOT NULL);
