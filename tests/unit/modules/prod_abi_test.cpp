// The production modules answer with the public XxxProducer / XxxData ABIs at every kind's
// address pair, reserved pairs included: the selectors and topic0 values published in
// spec/abi/REFERENCE.md §5 (not recomputed from our own signature text), their mutability,
// return types and indexed flags (from the compiled *.abi.json), and nothing else but our one
// documented addition, getWellValidity(bytes32).
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

// OilProducer: "<selector> <v|n|p> <returns>", "<topic0> <indexed flags>".
const std::vector<std::string> kProducerCalls = {
    "0x6d8bc0a9 v bytes32",
    "0x22e12720 v uint256",
    "0x93e136da v uint256",
    "0x3ccc4790 n ",
    "0x39b8a2af v address[],uint256[]",
    "0x06c520ed n ",
    "0xd65e19aa v address",
    "0x1d1bfdb1 v address",
    "0xf9978af8 v uint8,(string,address,uint256,uint256,string)",
    "0xb65d8f76 v (uint256,uint256,uint8)",
    "0x71ec0130 n ",
    "0xd3879c5d v bool",
    "0xb4aca055 v bool",
    "0x35382248 n ",
    "0xc65b61ca v uint256",
    "0xdc8b577f v uint8",
    "0x422674f6 n bytes32",
    "0x8ed8a8c9 n ",
    "0x917e2eb2 n ",
    "0x5f584759 n ",
    "0x77368d03 n uint256,uint256",
    "0x0b1c7fef v uint256",
    "0x991141aa v uint256",
    "0xf2aea6ba n ",
};
const std::vector<std::string> kProducerEvents = {
    "0x478c39c1610daba07c1f1023a3b99328852945f641b69e4aa7e54655b31718c3 00",
    "0x44712ebf2e2edea454e6ac2621c60962b124874de1bb11f37e1048388b2a5584 00",
    "0x7f26b83ff96e1f2b6a682f133852f6798a09c465da95921460cefb3847402498 0",
    "0x89dff77968431cf06db6433a96eaf5d808e9b64d281a3111f637a7a24798bcc3 00000",
    "0x47360cef309ef30744a9b6ebc875bbb30fd7b05313487ff126d4c3c2660cfb72 11",
    "0xca14ee2da0e500efb4f550aec444deba4e9444e8baaeaecece69af617b8d1f79 000",
    "0x859560eb92983d9c25725cfe95c4abb9752302c948d822cb37908357aea4688d 00000",
    "0x3c254ffcc5de334b3e17e9b7bcbcb1e8efbdabbd4635c7c4ee2cb9d094dd0ea6 000",
    "0x297fcbaa20cadaef57d0dd84b39fa798fcff426111aa4e498ac5cd0354054daa 0000",
    "0xba686f94954ca641c90af074be63e610ba0723054205c40f1151f230b58a0893 000",
};
// OilData: "<selector> <v|n|p> <returns>", "<topic0> <indexed flags>".
const std::vector<std::string> kOilDataCalls = {
    "0x6447189a v bytes32",
    "0x6d8bc0a9 v bytes32",
    "0x66a88c3d n bool",
    "0x7928c018 n bool",
    "0x23d7c9c1 n ",
    "0x05c12a46 n uint256",
    "0xdd19288a v bytes32",
    "0x664e504c v "
    "(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,uint256,uint256,uint8)",
    "0xbd8742cd v bytes32",
    "0x8182e707 n ",
    "0xa23270b2 v uint256,uint8",
    "0x34fe1d1e p bool",
    "0xac398a74 n uint256",
    "0x66c0e699 n ",
    "0x0fb02964 n bytes32",
    "0xf31c336d n bytes32",
    "0x49ded6f8 n uint256",
    "0xa31bffb8 n ",
    "0x2e1a7d4d p bool",
};
const std::vector<std::string> kOilDataEvents = {
    "0x8671e9ffb14cf0f79bf6f9c276f3f060f8041d92e6148936c09f3e37298ab647 00",
    "0xcf2aeb56f97d9bef25e0a4ebe043f0caaaf5424f3d5a2d9a7f6458e93b7cab2a 000",
    "0x7eb13e595e1a4affd6778ae3e90f3a56b800c9258f0204e6130d5bbe1ecc3aa0 00000",
    "0x7fa5dad38255129907a9d121ff93b93692a257afe524cbc721d8eba1df76a268 0000",
    "0x28671cdd0231ca4027ae5f2f7cb3942f7b71850e856473a9878c5ffe8a7b2feb 00000",
    "0x7f26b83ff96e1f2b6a682f133852f6798a09c465da95921460cefb3847402498 0",
    "0x5860c8de4e56ff5e724b71e8b03fbbf20006606febdf2e2d303a34390c91f0eb 000000",
    "0x3bb3c1b8511f81c6b36916aa374276f49b7bc9dfe44b6420661f162590d7bf85 000",
    "0xa4f2b75fa48d1260c0196fd83a5dbe1616b5aad1f700d725b5d4681ab1a69c0d 00",
    "0x196f892e92466d317a7a16174d708f337dcd6b188b75297ff99c041a2fff6c7f 000",
    "0x189c218c70e561b71f55bf7e5d67afb64278858f8b17a21da88cc36dac99381c 0000",
    "0x1d0909fc0006e2b3c252ccfa38040e4640aae5a2ad644bcb73a1e6f602f9c42b 0000",
    "0x9632275fcee040eba07c6f31fad4870e760756c12c9a5f3177f3f4233a3b4ceb 000",
};
// EthData/BtcData differ from OilData in two places only (REFERENCE.md §5): getProductionData
// is nonpayable, and TrustedDigitalProductionData is declared.
std::vector<std::string> ethDataCalls() {
  std::vector<std::string> rows = kOilDataCalls;
  const std::string view = "0x664e504c v ";
  for (std::string& r : rows)
    if (r.rfind(view, 0) == 0) r[view.size() - 2] = 'n';
  return rows;
}
std::vector<std::string> ethDataEvents() {
  std::vector<std::string> rows = kOilDataEvents;
  rows.push_back("0x0691147a0b8ecfd0bb35fb85d77ea78ccefa142a5249dd62440353c8e352367f 0000000");
  return rows;
}

std::string joined(const std::vector<abi::Type>& types) {
  std::string out;
  for (const abi::Type& t : types) out += (out.empty() ? "" : ",") + t.canonical();
  return out;
}

// Every published call exists under its selector with its mutability and returns; the module
// declares `extra` more calls than the ABI.
void checkCalls(const ModuleRegistry& registry, const Address& at,
                const std::vector<std::string>& table, std::size_t extra) {
  const ModuleRegistry::Entry* entry = registry.find(at);
  REQUIRE(entry != nullptr);
  CHECK(entry->calls.size() == table.size() + extra);
  const char codes[] = {'v', 'n', 'p'};  // Mutability::View, NonPayable, Payable
  for (const std::string& row : table) {
    CAPTURE(row);
    std::istringstream in(row);
    std::string selector, mutability, returns;
    in >> selector >> mutability >> returns;
    const Bytes sel = fromHex(selector);
    const CallDecl* call = registry.findCall(at, sel);
    REQUIRE(call != nullptr);
    CHECK(codes[int(call->mutability)] == mutability[0]);
    CHECK(joined(call->returnTypes) == returns);
  }
}

// Every published event is declared with the same topic0 and indexed flags, and no other.
void checkEvents(const ModuleRegistry& registry, const Address& at,
                 const std::vector<std::string>& table) {
  const ModuleRegistry::Entry* entry = registry.find(at);
  REQUIRE(entry != nullptr);
  CHECK(entry->events.size() == table.size());
  for (const std::string& row : table) {
    CAPTURE(row);
    const std::string topic = row.substr(0, row.find(' '));
    const std::string flags = row.substr(row.find(' ') + 1);
    bool found = false;
    for (const auto& [signature, ev] : entry->events) {
      if (ev.topic0.hex() != topic) continue;
      found = true;
      std::string declared;
      for (bool b : ev.indexed) declared += b ? '1' : '0';
      CHECK(declared == flags);
    }
    CHECK(found);
  }
}

}  // namespace

TEST_CASE("production ABI: producer and data modules of every kind slot match the public ABI") {
  ProdChain c;
  const ModuleRegistry& registry = c.modules();
  struct Slot {
    Address producer, data;
    bool digital;
  };
  std::vector<Slot> slots;
  for (const kinds::Kind& k : kinds::genesisKinds())
    slots.push_back({k.producer, k.data, !k.physical});
  for (std::size_t i = 0; i < kinds::kMaxAddedKinds; ++i)
    slots.push_back({kinds::addedProducerAddress(i), kinds::addedDataAddress(i), false});
  REQUIRE(ethDataCalls() != kOilDataCalls);
  for (const Slot& s : slots) {
    CAPTURE(s.producer.hex());
    checkCalls(registry, s.producer, kProducerCalls, 1);  // + getWellValidity(bytes32)
    checkEvents(registry, s.producer, kProducerEvents);
    checkCalls(registry, s.data, s.digital ? ethDataCalls() : kOilDataCalls, 0);
    checkEvents(registry, s.data, s.digital ? ethDataEvents() : kOilDataEvents);
    CHECK(registry.find(s.data)->module->acceptsPlainTransfers());  // receive()
    CHECK_FALSE(registry.find(s.producer)->module->acceptsPlainTransfers());
    const auto sel = abi::selector("getWellValidity(bytes32)");
    const CallDecl* validity = registry.findCall(s.producer, BytesView(sel.data(), sel.size()));
    REQUIRE(validity != nullptr);
    CHECK(joined(validity->returnTypes) == "uint256");
  }
}

TEST_CASE("production ABI: the uploader's worked calldata (REFERENCE.md §1.5 a) decodes") {
  // setProductionData(uid, [uid, 0, 0x1111…1111, 123456, 0, 230105, 2301, "", 0, 0, 0]).
  const std::string words =
      "4d596738683945776933796644416930334f784c360000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000040"
      "4d596738683945776933796644416930334f784c360000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000001111111111111111111111111111111111111111"
      "000000000000000000000000000000000000000000000000000000000001e240"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000000000000000382d9"
      "00000000000000000000000000000000000000000000000000000000000008fd"
      "0000000000000000000000000000000000000000000000000000000000000160"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000";
  ProdChain c;
  const Bytes data = fromHex("0xa31bffb8" + words);
  const CallDecl* call = c.modules().findCall(oilKind().data, data);
  REQUIRE(call != nullptr);
  const abi::ValueList args = abi::decode(call->argTypes, BytesView(data).subspan(4));
  const abi::ValueList& d = args[1].asList();
  CHECK(args[0].asBytes32() == wellId("MYg8h9Ewi3yfDAi03OxL6"));
  CHECK(d[3].asUint() == 123456);
  CHECK(d[5].asUint() == 230105);
  CHECK(d[6].asUint() == 2301);
}
