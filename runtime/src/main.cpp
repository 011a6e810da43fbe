#include <cstdio>
int main() {
  std::puts("canswarm " CANSWARM_VERSION);
  return 0;
}
