DROP TABLE programme_members;
