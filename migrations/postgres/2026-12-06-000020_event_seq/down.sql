DROP TABLE event_sequences;
