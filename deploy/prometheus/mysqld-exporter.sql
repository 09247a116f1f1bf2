-- mysqld-exporter.sql — the exporter's MariaDB user: it reads the server's
-- status and the schema's sizes, never the orders' rows. Run once as root:
--   sudo mariadb < deploy/prometheus/mysqld-exporter.sql
-- (after replacing CHANGE-ME with the password of mysqld-exporter.cnf).
CREATE USER IF NOT EXISTS 'exporter'@'localhost' IDENTIFIED BY 'CHANGE-ME' WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'exporter'@'localhost';
GRANT SELECT ON performance_schema.* TO 'exporter'@'localhost';
