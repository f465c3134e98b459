DROP TABLE instance_setup;
DROP TABLE login_failures;
DROP TABLE memberships;
DROP TABLE orgs;
DROP TABLE users;
