DROP TABLE genworker_worker;
