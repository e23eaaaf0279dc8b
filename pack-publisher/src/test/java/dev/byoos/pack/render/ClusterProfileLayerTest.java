package dev.byoos.pack.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class ClusterProfileLayerTest {

    @Test
    void terraformStringsCannotInterpolateOrEndEarly() {
        String terraform = new ClusterProfileLayer("n${file(\"/etc/passwd\")}%{ if true }", "1.0.0", "v").terraform();
        assertTrue(terraform.contains("  name         = \"n$${file(\\\"/etc/passwd\\\")}%%{ if true }\"\n"), terraform);
    }

    @Test
    void theApiLayerIsJsonWithTheValuesAsOneString() throws Exception {
        String values = "pack:\n  osImageOverride: \"a\\\"b\"\n";
        JsonNode layer = new ObjectMapper().readTree(new ClusterProfileLayer("p", "1.0.0", values).paletteApiLayerJson());
        assertEquals(values, layer.get("values").asText());
        assertEquals(ClusterProfileLayer.REGISTRY_UID_PLACEHOLDER, layer.get("registryUid").asText());
    }
}
