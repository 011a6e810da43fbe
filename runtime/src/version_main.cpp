// Stand-in binary used only while canswarm::config, canswarm::identity or
// canswarm::transport is not configured (see runtime/CMakeLists.txt).
#include <cstdio>

int main() {
  std::puts("canswarm " CANSWARM_VERSION " (built without its node runtime)");
  return 1;
}
