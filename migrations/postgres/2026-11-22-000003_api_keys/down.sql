DROP TABLE used_form_ids;
DROP TABLE api_keys;
