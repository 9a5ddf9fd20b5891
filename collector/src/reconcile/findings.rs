//! Every difference between register and reality as a [`Finding`].

use super::matching::Matched;
use super::*;

pub fn find(_inputs: &Inputs, _matched: &Matched) -> Vec<Finding> {
    todo!("findings")
}
