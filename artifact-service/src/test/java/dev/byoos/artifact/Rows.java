package dev.byoos.artifact;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;

import javax.sql.DataSource;

/** Reads the service's tables directly, as an independent check of what it recorded. */
public final class Rows {

    private Rows() {
    }

    /** The single number a {@code select count(*) ...} answers. */
    public static long count(DataSource database, String sql) throws SQLException {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
