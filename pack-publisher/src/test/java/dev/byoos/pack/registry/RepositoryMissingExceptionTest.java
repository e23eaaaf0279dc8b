package dev.byoos.pack.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What an operator is told to do about a repository the registry lacks, by the registry's host. */
class RepositoryMissingExceptionTest {

    static final String REPOSITORY = "byoos/spectro-packs/archive/node";

    @Test
    void onAnEcrHostTheMessageIsTheCommandThatCreatesTheRepositoryInItsRegion() {
        for (String host : new String[] {"123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com:443",
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"}) {
            String region = host.split("\\.")[3];
            assertEquals("create it first: aws ecr create-repository --repository-name " + REPOSITORY
                    + " --region " + region, RepositoryMissingException.howToCreate(host, REPOSITORY), host);
        }
    }

    @Test
    void elsewhereTheMessageNamesTheProjectTheRepositoryBelongsToAndNoAwsCommand() {
        for (String host : new String[] {"harbor.example.com", "127.0.0.1:5000",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com.example.com"}) {
            String said = RepositoryMissingException.howToCreate(host, REPOSITORY);
            assertFalse(said.contains("aws ecr"), said);
            assertTrue(said.contains("create it first") && said.contains("project byoos"), said);
        }
    }

    @Test
    void aNameNoRegistryAcceptsGetsNoCommandToPaste() {
        for (String repository : new String[] {"byoos/spectro-packs/archive/x;rm -rf ~",
                "byoos/spectro-packs/archive/$(id)", "byoos/spectro-packs/archive/Node"}) {
            String said = RepositoryMissingException.howToCreate("123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                    repository);
            assertFalse(said.contains("aws ecr") || said.contains(repository), said);
        }
    }

    @Test
    void theMessageKeepsWhatTheRegistryRefusedAndTheCode() {
        RepositoryMissingException missing = new RepositoryMissingException("harbor.example.com", REPOSITORY,
                "registry harbor.example.com refused starting a blob upload in repository " + REPOSITORY
                        + ": HTTP 404 NAME_UNKNOWN", 404);
        assertTrue(missing.getMessage().startsWith("registry harbor.example.com refused starting a blob upload in "
                + "repository " + REPOSITORY + ": HTTP 404 NAME_UNKNOWN; the repository does not exist"),
                missing.getMessage());
        assertEquals(REPOSITORY, missing.repository());
        assertEquals("NAME_UNKNOWN", missing.errorCode().orElseThrow());
        assertFalse(missing.accessDenied());
    }
}
