package dev.byoos.artifact.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The JSON columns of an artifact row, as stored by this version and by others. */
class JsonListsTest {

    @Test
    void aRowWrittenByANewerVersionWithAFieldThisOneDoesNotKnowStillReads() {
        assertEquals(List.of(new ArtifactEntity.Input("base", "ab".repeat(32), "https://mirror/base.tar")),
                new JsonLists.Inputs().convertToEntityAttribute("[{\"name\":\"base\",\"sha256\":\"" + "ab".repeat(32)
                        + "\",\"uri\":\"https://mirror/base.tar\",\"signedBy\":\"added later\"}]"));
        assertEquals(List.of(new ArtifactEntity.CloudImage("aws", "eu-west-1", "ami-1")),
                new JsonLists.CloudImages().convertToEntityAttribute(
                        "[{\"cloud\":\"aws\",\"region\":\"eu-west-1\",\"id\":\"ami-1\",\"encrypted\":true}]"));
    }

    @Test
    void whatIsWrittenReadsBackAndNoJsonIsAnErrorSayingSo() {
        JsonLists.Inputs inputs = new JsonLists.Inputs();
        List<ArtifactEntity.Input> stored = List.of(new ArtifactEntity.Input("kernel", "cd".repeat(32), null));
        assertEquals(stored, inputs.convertToEntityAttribute(inputs.convertToDatabaseColumn(stored)));
        assertEquals(List.of(), inputs.convertToEntityAttribute(null));
        IllegalStateException broken = assertThrows(IllegalStateException.class,
                () -> inputs.convertToEntityAttribute("{not json"));
        assertEquals(true, broken.getMessage().startsWith("artifact column holds no JSON list"), broken.getMessage());
    }
}
