package dev.byoos.testsupport;

import java.util.List;

/** What every test stack provides, whichever way it is started. */
final class StackLayout {

    static final List<String> DATABASES = List.of("spec_service", "build_worker", "artifact_service", "pack_publisher");
    static final String STAGING_BUCKET = "byoos-staging";
    static final String ARTIFACTS_BUCKET = "byoos-artifacts";
    static final String S3_REGION = "us-east-1";
    static final String POSTGRES_USERNAME = "postgres";
    static final String POSTGRES_PASSWORD = "postgres";

    private StackLayout() {
    }
}
