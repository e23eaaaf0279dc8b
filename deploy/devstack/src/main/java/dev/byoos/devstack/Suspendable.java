package dev.byoos.devstack;

/**
 * A server that can be taken down as in an outage and brought back on the same port with the same
 * data: the fault-injection suite's way of stopping Kafka, PostgreSQL, S3 or the registry for a while.
 */
interface Suspendable {

    /** Stops serving (connections refused); data and configuration kept. Nothing when already suspended. */
    void suspend() throws Exception;

    /** Serves again on the same port with the same data. Nothing when not suspended. */
    void resume() throws Exception;
}
