package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.converter.BeanOutputConverter;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.api.OpenAiApi;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

/**
 * Structured outputs over the real server: {@code response_format} json_schema and json_object answers parse and
 * validate (an independent validator) in every one of 100 seeded requests on the 4M demo, greedy and sampled,
 * self-speculative and autoregressive alike (and identical when greedy); LangChain4j's and Spring AI's structured
 * output APIs get their records back.
 */
class StructuredOutputTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String SCHEMA = dev.layerskip.generate.structured.ConstrainedDecodingTestSchemas.PERSON;

    @BeforeAll
    static void start() throws Exception {
        OpenAiClientsTest.start();
    }

    @AfterAll
    static void stop() {
        OpenAiClientsTest.stop();
    }

    private static JsonObject chat(String extra) throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Describe a user as JSON.\"}], " + extra + "}";
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static String content(JsonObject response) {
        return response.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message").get("content").getAsString();
    }

    @Test
    void everyJsonSchemaAnswerParsesAndValidates() throws Exception {
        Schema check = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(SCHEMA);
        String format = "\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"user\", \"strict\": true,"
                + " \"schema\": " + SCHEMA + "}}, \"max_tokens\": 48";
        for (int i = 0; i < 100; i++) {
            String sampling = i % 4 == 0 ? ", \"temperature\": 0" : ", \"temperature\": 1.0, \"seed\": " + i;
            String strategy = i % 2 == 0 ? "" : ", \"strategy\": \"autoregressive\"";
            String text = content(chat(format + sampling + strategy));
            JsonParser.parseString(text).getAsJsonObject();
            assertEquals(List.of(), check.validate(text, InputFormat.JSON), "request " + i + ": " + text);
        }
        assertEquals(content(chat(format + ", \"temperature\": 0")),
                content(chat(format + ", \"temperature\": 0, \"strategy\": \"autoregressive\"")),
                "greedy self-speculative = constrained autoregressive");
        String object = content(chat("\"response_format\": {\"type\": \"json_object\"}, \"max_tokens\": 24"));
        assertTrue(JsonParser.parseString(object).isJsonObject(), object);
    }

    @Test
    void badFormatsAreOpenAiErrors() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 8, \"response_format\": "
                + "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"u\", \"schema\": " + SCHEMA + "}}}";
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("'response_format' needs 'max_tokens' >= 34"), r.body());
        String ref = body.replace("\"max_tokens\": 8", "\"max_tokens\": 64").replace(SCHEMA,
                "{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"other.json\"}}}");
        r = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ref)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("\"param\":\"response_format.json_schema.schema\"") && r.body().contains("$ref"), r.body());
    }

    @Test
    void langChain4jStructuredOutput() {
        OpenAiChatModel model = OpenAiClientsTest.chat().maxTokens(64).strictJsonSchema(true).build();
        JsonSchema schema = JsonSchema.builder().name("User").rootElement(JsonObjectSchema.builder()
                .addStringProperty("name").addIntegerProperty("age").addEnumProperty("role", List.of("admin", "user"))
                .required("name", "age", "role").additionalProperties(false).build()).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("Describe a user."))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build()).build());
        JsonObject user = JsonParser.parseString(r.aiMessage().text()).getAsJsonObject();
        assertTrue(user.get("name").getAsJsonPrimitive().isString());
        user.get("age").getAsLong();
        assertTrue(List.of("admin", "user").contains(user.get("role").getAsString()), user.toString());
    }

    /** What Spring AI's converter maps the answer into. */
    record User(String name, int age, boolean active) {}

    @Test
    void springAiStructuredOutput() {
        BeanOutputConverter<User> converter = new BeanOutputConverter<>(User.class);
        OpenAiApi api = OpenAiApi.builder().baseUrl(OpenAiClientsTest.server.uri().toString().replaceAll("/$", ""))
                .apiKey("unused").build();
        org.springframework.ai.openai.OpenAiChatModel model = org.springframework.ai.openai.OpenAiChatModel.builder()
                .openAiApi(api).defaultOptions(OpenAiChatOptions.builder().model("demo").temperature(0.0).maxTokens(64)
                        .responseFormat(new org.springframework.ai.openai.api.ResponseFormat(
                                org.springframework.ai.openai.api.ResponseFormat.Type.JSON_SCHEMA, converter.getJsonSchema()))
                        .build()).build();
        Generation g = model.call(new Prompt("Describe a user.")).getResult();
        User user = converter.convert(g.getOutput().getText());
        assertNotNull(user.name());
    }
}
