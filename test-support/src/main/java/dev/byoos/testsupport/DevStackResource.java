package dev.byoos.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;


/**
 * Points a Quarkus test at the per-JVM {@link TestStack}:
 * <pre>{@code
 * @QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
 * }</pre>
 * Without the {@code database} arg no datasource configuration is returned.
 */
public class DevStackResource implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE_ARG = "database";

    private static final String APPLICATION_PROPERTIES = "application.properties";
    private static final String APPLICATION_NAME = "quarkus.application.name";

    private String database;

    @Override
    public void init(Map<String, String> initArgs) {
        String value = initArgs.get(DATABASE_ARG);
        database = value == null || value.isBlank() ? null : value.trim();
    }

    @Override
    public Map<String, String> start() {
        Endpoints endpoints = TestStack.endpoints();
        Map<String, String> config = new HashMap<>();
        config.put("kafka.bootstrap.servers", endpoints.kafkaBootstrapServers());
        // The service logs in with its application.properties' own principal and ACLs, as deployed;
        // only the password, which that file leaves to the environment, comes from the stack.
        config.put("KAFKA_PASSWORD", endpoints.kafkaPassword(serviceUnderTest()));
        if (database != null) {
            config.put("quarkus.datasource.reactive.url", endpoints.reactivePostgresUrl(database));
            config.put("quarkus.datasource.jdbc.url", endpoints.jdbcUrl(database));
            config.put("quarkus.datasource.username", endpoints.postgresUsername());
            config.put("quarkus.datasource.password", endpoints.postgresPassword());
        }
        config.put("byoos.s3.endpoint", endpoints.s3Endpoint());
        config.put("byoos.s3.region", endpoints.s3Region());
        config.put("byoos.s3.access-key", endpoints.s3AccessKey());
        config.put("byoos.s3.secret-key", endpoints.s3SecretKey());
        config.put("byoos.s3.staging-bucket", endpoints.s3StagingBucket());
        config.put("byoos.s3.artifacts-bucket", endpoints.s3ArtifactsBucket());
        config.put("byoos.registry.url", endpoints.registryUrl());
        // Services with a user API verify bearer tokens; tests mint theirs with TestTokens.
        config.put("mp.jwt.verify.publickey.location", TestTokens.issuer().publicKeyFile().toAbsolutePath().toString());
        config.put("mp.jwt.verify.issuer", dev.byoos.localauth.LocalTokens.ISSUER);
        // The signing key pair, under the variable names the services' properties read it from.
        config.put("BYOOS_SIGNING_PRIVATE_KEY_FILE", TestTokens.signingKeys().privateKeyFile().toAbsolutePath().toString());
        config.put("BYOOS_SIGNING_PUBLIC_KEY_FILE", TestTokens.signingKeys().publicKeyFile().toAbsolutePath().toString());
        // The stack is provided here: Dev Services would try to start containers of their own.
        config.put("quarkus.devservices.enabled", "false");
        return config;
    }

    /**
     * The service whose tests these are: {@code quarkus.application.name} of the one
     * application.properties on the test's class path (each service names itself after its
     * Kafka principal).
     */
    static String serviceUnderTest() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Properties properties = new Properties();
        try (InputStream in = loader.getResourceAsStream(APPLICATION_PROPERTIES)) {
            if (in == null) {
                throw new IllegalStateException("no " + APPLICATION_PROPERTIES + " on the test class path: "
                        + "cannot tell which service's Kafka principal to use");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + APPLICATION_PROPERTIES, e);
        }
        String name = properties.getProperty(APPLICATION_NAME);
        if (name == null || name.isBlank()) {
            throw new IllegalStateException(APPLICATION_PROPERTIES + " sets no " + APPLICATION_NAME
                    + ": cannot tell which service's Kafka principal to use");
        }
        return name.trim();
    }

    @Override
    public void stop() {
        // Nothing: the stack is shared by every test class in this JVM and stops when the JVM exits.
    }
}
