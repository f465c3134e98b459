-- Nothing to undo: AUTOINCREMENT only stops ids from being handed out twice.
SELECT 1;
