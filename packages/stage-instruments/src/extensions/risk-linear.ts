import { RISK_LINEAR_MANIFEST } from '../manifests.js';
import { riskExtension } from '../risk-extension.js';

/** symphony.risk-linear: the cheaper `classify-risk` candidate. */
export default riskExtension('risk-linear', RISK_LINEAR_MANIFEST);
