#include "canswarm/actors/messages.hpp"

namespace canswarm {

std::string to_string(child_state x) {
  switch (x) {
    case child_state::running: return "running";
    case child_state::stopping: return "stopping";
    case child_state::stopped: return "stopped";
  }
  return "unknown";
}

} // namespace canswarm
