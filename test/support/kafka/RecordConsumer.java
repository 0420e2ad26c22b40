import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Apache Kafka Java client as a reader that is not llmp's. Arguments: bootstrap servers,
 * topic, number of records. Prints one line per record, "key value [header=value ...]", each
 * field base64 (key "-" for none), then exits; exits 2 if the records do not come within 60 s.
 */
public final class RecordConsumer {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "llmp-java-reader-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    int wanted = Integer.parseInt(args[2]);
    Base64.Encoder base64 = Base64.getEncoder();
    long deadline = System.currentTimeMillis() + 60_000;
    int seen = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(args[1]));
      while (seen < wanted) {
        if (System.currentTimeMillis() > deadline) System.exit(2);
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          StringBuilder line = new StringBuilder();
          line.append(record.key() == null ? "-" : base64.encodeToString(record.key()));
          line.append(' ').append(base64.encodeToString(record.value()));
          for (Header header : record.headers()) {
            line.append(' ')
                .append(base64.encodeToString(header.key().getBytes(StandardCharsets.UTF_8)))
                .append('=')
                .append(base64.encodeToString(header.value()));
          }
          System.out.println(line);
          seen++;
        }
      }
    }
  }
}
