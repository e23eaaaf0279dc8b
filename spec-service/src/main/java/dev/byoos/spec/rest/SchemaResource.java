package dev.byoos.spec.rest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.byoos.spec.validation.SpecSchema;

/** Publishes the ImageSpec JSON Schema, for editors and for systems that generate specs. */
@Path("/api/v1/schema")
@PermitAll
public class SchemaResource {

    public static final String RESOURCE = SpecSchema.RESOURCE;
    private static final byte[] SCHEMA = load();

    @GET
    @Produces("application/schema+json")
    @Operation(summary = "The JSON Schema of an ImageSpec (byoos.dev/v1alpha1)")
    public byte[] schema() {
        return SCHEMA;
    }

    private static byte[] load() {
        try (InputStream in = SchemaResource.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
