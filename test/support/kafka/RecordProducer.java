import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Apache Kafka Java client as a producer that is not llmp's: used by the tests as the
 * reference writer of every compression codec. Arguments: bootstrap servers, topic,
 * compression.type. Stdin: one record a line, "key value [header=value ...]" with every field
 * base64 (key "-" for none; a header as base64(name)=base64(value)). Records are sent together
 * (linger) so that each batch holds several and the codec compresses them as one; prints
 * "partition offset" per record once all are acknowledged.
 */
public final class RecordProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[2]);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "200");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    Base64.Decoder base64 = Base64.getDecoder();
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isEmpty()) continue;
        String[] fields = line.split(" ");
        byte[] key = fields[0].equals("-") ? null : base64.decode(fields[0]);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(args[1], key, base64.decode(fields[1]));
        for (int i = 2; i < fields.length; i++) {
          String[] header = fields[i].split("=", 2);
          record.headers().add(new String(base64.decode(header[0]), StandardCharsets.UTF_8), base64.decode(header[1]));
        }
        sent.add(producer.send(record));
      }
      producer.flush();
      for (Future<RecordMetadata> future : sent) {
        RecordMetadata metadata = future.get();
        System.out.println(metadata.partition() + " " + metadata.offset());
      }
    }
  }
}
