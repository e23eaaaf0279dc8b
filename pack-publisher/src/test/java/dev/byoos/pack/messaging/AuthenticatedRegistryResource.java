package dev.byoos.pack.messaging;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.byoos.testsupport.RegistryProcess;

/** Points the publisher at a registry of the test's own that wants Basic credentials. */
public class AuthenticatedRegistryResource implements QuarkusTestResourceLifecycleManager {

    static final String USERNAME = "byoos-publisher";
    static final String PASSWORD = "s3cret-for-tests";

    /** The running registry, for the test to stop and start. */
    static RegistryProcess registry;

    @Override
    public Map<String, String> start() {
        try {
            registry = RegistryProcess.startWithBasicAuth(USERNAME, PASSWORD);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the authenticated registry", e);
        }
        return Map.of("publisher.registry.url", registry.url(),
                "publisher.registry.username", USERNAME,
                "publisher.registry.password", PASSWORD);
    }

    @Override
    public void stop() {
        try {
            registry.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the authenticated registry", e);
        }
    }
}
