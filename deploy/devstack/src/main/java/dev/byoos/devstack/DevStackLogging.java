package dev.byoos.devstack;

import java.nio.file.Path;

/**
 * Sends every server's logging (SLF4J, bound to slf4j-simple) to {@code <data-dir>/logs/devstack.log}
 * at WARN, so stdout stays for the stack's own concise progress lines.
 */
final class DevStackLogging {

    private static final String PREFIX = "org.slf4j.simpleLogger.";

    private DevStackLogging() {
    }

    /**
     * Must run before the first SLF4J logger is created: slf4j-simple reads its configuration once
     * per JVM. Settings given on the command line ({@code -Dorg.slf4j.simpleLogger...}) win.
     */
    static void configure(Path logsDir) {
        setDefault("logFile", logsDir.resolve("devstack.log").toString());
        setDefault("defaultLogLevel", "warn");
        setDefault("log.dev.byoos.devstack", "info");
        setDefault("showDateTime", "true");
        setDefault("dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSS");
        setDefault("showShortLogName", "true");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(PREFIX + key) == null) {
            System.setProperty(PREFIX + key, value);
        }
    }
}
